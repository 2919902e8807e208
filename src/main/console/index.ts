// The console domain as other domains, the web front and the composition root see it
// (docs/layering.md).
export { ConsoleService } from './console-service';
export { ThumbnailService } from './thumbnail-service';
export { CONSOLE_CLOSED, type ChannelSink, type ConsoleChannel } from './console-channel';
export { TokenBook } from './token-book';
