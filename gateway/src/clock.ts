/** Milliseconds since the epoch. Passed in everywhere so expiry and lockout are tested with fake time. */
export type Clock = () => number;
export const systemClock: Clock = () => Date.now();
