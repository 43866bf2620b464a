/** The version of the inspector's wire format; a viewer refuses a server of another version. */
export const PROTOCOL_VERSION = 3;

/** The oldest version a trace file may have and still be read (version 1 differs only in sending each trail step as an `event` op; a trace holds messages, never version 3's packed frames). */
export const OLDEST_TRACE_VERSION = 1;
