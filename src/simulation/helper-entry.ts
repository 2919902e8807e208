/**
 * The helper program for simulated hosts (out/helper/simulated.js): the backend runs it as the
 * user, never through pkexec, with TESSERA_HOST_ROOT naming the simulated host's tree
 * (src/main/gpu/helper-client.ts).
 */
import { servePlan } from '../helper/serve-plan';
import { runSimulatedPlan } from './run-simulated-plan';

await servePlan(runSimulatedPlan);
