/** The report validator, shared with the extension (src/validate.ts). */
export { validateReport } from "../validate";
