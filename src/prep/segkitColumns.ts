/** Columns segkit itself writes (segments, RFM scores): never features unless asked for by name. */
export const SEGKIT_COLUMNS: readonly string[] = Object.freeze(['segment', 'segment_name', 'rfm_code', 'r_score', 'f_score', 'm_score']);
