/**
 * The one error contract between the popup library and TypeScript. `ERR_POPUP_*` codes are the first word of
 * the library's error replies (gears/src/includes/errors.lua; `nx typecheck gears` checks both lists match);
 * the others are raised here, for Redis answers that mean the library cannot run.
 */
export enum GearsErrorCode {
  /** An argument the function refuses: wrong count, not an integer, out of range, a malformed stream id. */
  BadArgument = 'ERR_POPUP_BAD_ARG',
  /** The sale was never configured. */
  NoSale = 'ERR_POPUP_NO_SALE',
  /** The sale sold units already: configuring it again needs `force`, which starts it over. */
  SaleStarted = 'ERR_POPUP_SALE_STARTED',
  /** This Redis has no Functions (before 7.0, or FUNCTION/FCALL disabled). */
  FunctionsUnsupported = 'POPUP_FUNCTIONS_UNSUPPORTED',
  /** The popup library is not loaded: `loadGears` first. */
  LibraryNotLoaded = 'POPUP_LIBRARY_NOT_LOADED',
}

/** A failure of a popup function, with the function's name and the library's detail. */
export class GearsError extends Error {
  override readonly name = 'GearsError';

  constructor(
    readonly code: GearsErrorCode,
    /** The function (`popup_...`) or command that failed. */
    readonly fn: string,
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${fn}: ${code} ${detail}`, options);
  }
}

const LIBRARY_CODES = new Map<string, GearsErrorCode>(
  [GearsErrorCode.BadArgument, GearsErrorCode.NoSale, GearsErrorCode.SaleStarted].map((code) => [code, code]),
);
const NO_FUNCTIONS = /unknown command [`'"]?(FUNCTION|FCALL|FCALL_RO)\b/i;

/** The typed error a Redis error reply stands for, or the error itself when it is not the library's. */
export function toGearsError(error: unknown, fn: string): unknown {
  if (!(error instanceof Error)) return error;
  const message = error.message;
  const space = message.indexOf(' ');
  const code = LIBRARY_CODES.get(space < 0 ? message : message.slice(0, space));
  if (code) {
    // Replies raised with error() rather than returned carry the script position after the detail.
    const detail = message.slice(space + 1).replace(/ script: \S+, on @user_function:\d+\.$/, '');
    return new GearsError(code, fn, detail, { cause: error });
  }
  if (NO_FUNCTIONS.test(message)) {
    return new GearsError(
      GearsErrorCode.FunctionsUnsupported,
      fn,
      `this Redis has no Functions: popup needs Redis >= 7.0 or Valkey (${message})`,
      { cause: error },
    );
  }
  if (/^ERR Function not found/.test(message)) {
    return new GearsError(GearsErrorCode.LibraryNotLoaded, fn, 'the popup library is not loaded: call loadGears first', {
      cause: error,
    });
  }
  return error;
}
