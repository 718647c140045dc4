/**
 * The engine's version: the package's own, so a report says which engine produced it (`engine.version`).
 * esbuild inlines the one field into each bundle (the CLI's, the runner's, the extension's, the library's).
 */
import { version } from "../package.json";

export const ENGINE_VERSION: string = version;
