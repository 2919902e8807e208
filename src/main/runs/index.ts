// The runs domain as the composition root sees it (docs/layering.md).
export { RunsService } from './runs-service';
export { RunMatrixService } from './run-matrix';
