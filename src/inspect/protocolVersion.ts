/** The version of the inspector's wire format; a viewer refuses a server of another version. */
export const PROTOCOL_VERSION = 1;
