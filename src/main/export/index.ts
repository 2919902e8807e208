// The export domain as the composition root sees it (docs/layering.md).
export { createExportService } from './export-service';
