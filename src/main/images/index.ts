// The images domain as the composition root sees it (docs/layering.md).
export { ImagesService } from './images-service';
