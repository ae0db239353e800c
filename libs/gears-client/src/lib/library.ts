import { POPUP_LIBRARY_SOURCE, POPUP_LIBRARY_VERSION } from './generated/popup-library';

/** A Redis Functions library: its flattened source and the version it answers to `popup_version`. */
export interface GearsLibrary {
  readonly version: string;
  readonly source: string;
}

/**
 * The popup library built from gears/src. Embedded as a generated module rather than read from disk so that
 * webpack bundles of the apps carry it and jest needs no asset path.
 */
export const POPUP_LIBRARY: GearsLibrary = { version: POPUP_LIBRARY_VERSION, source: POPUP_LIBRARY_SOURCE };
