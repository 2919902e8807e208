/**
 * tessera-helper: the only part of Tessera that runs as root, started by pkexec through the polkit
 * action org.tessera.helper (build/polkit). It reads one plan as JSON on stdin, checks all of it,
 * applies it to this machine's sysfs, and prints one JSON result on stdout; the exit status is 0
 * only when the whole plan was applied. It runs no other program, and it has no simulated kernel
 * inside it (tests/integration/helper-bundle.test.ts reads the bundle): simulated hosts get
 * src/simulation/helper-entry.ts.
 */
import { runPlan } from './run-plan';
import { servePlan } from './serve-plan';

await servePlan(runPlan);
