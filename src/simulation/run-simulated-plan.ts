/**
 * The helper on a simulated host: the same checks and steps as the root helper, writing through
 * the simulated kernel, which plays what Linux does when a sysfs attribute is written.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { HelperResult } from '../shared/helper-plan';
import { runPlan, type HelperEnvironment } from '../helper/run-plan';
import { createSimulatedKernel } from './kernel';

/** Run one plan on the host root TESSERA_HOST_ROOT names (`/` still means this machine). */
export function runSimulatedPlan(input: string, environment: HelperEnvironment): HelperResult {
  const rootDir = path.resolve(environment.env.TESSERA_HOST_ROOT || '/');
  // A root that is not a directory has no tree to simulate: runPlan says so in its own words.
  const simulable =
    rootDir !== '/' && fs.statSync(rootDir, { throwIfNoEntry: false })?.isDirectory() === true;
  if (environment.writer || !simulable) return runPlan(input, environment);
  return runPlan(input, { ...environment, writer: createSimulatedKernel(rootDir) });
}
