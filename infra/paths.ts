/**
 * Where the running code and the project are. The same module runs from the TypeScript sources
 * (tsx, vitest) and compiled (`npm run build`, dist/): files read next to the code (profiles, the
 * P-code list, the explorer's static files, the workflow bundle) are found relative to CODE_ROOT,
 * which dist/ mirrors; files of the checkout (bin/, .tally/, node_modules) relative to PROJECT_ROOT.
 */
import { fileURLToPath } from 'node:url';

/** True when this is the compiled JavaScript in dist/, false under tsx or vitest. */
export const COMPILED = import.meta.url.endsWith('.js');

/** The root of the running code: `<project>/dist/` when compiled, else `<project>/`. */
export const CODE_ROOT = fileURLToPath(new URL('../', import.meta.url));

/** The checkout: the folder with package.json, bin/ and node_modules, whichever code runs. */
export const PROJECT_ROOT = fileURLToPath(new URL(COMPILED ? '../../' : '../', import.meta.url));
