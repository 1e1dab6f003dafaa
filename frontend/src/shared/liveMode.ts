// Live keys and live webhook endpoints wait until an owner enables live mode for the entity
// (Entity.liveModeEnabled); until then the server refuses them (BAD_USER_INPUT, field "mode").

/** Why a live key or endpoint cannot be created yet (the server's words, and where to enable it). */
export const LIVE_MODE_DISABLED =
  'Live mode is not enabled for this entity: confirm the entity is production-ready and ask an owner to enable it (Entity settings).';
