/** Loggers for tests that build a provider component in-process (the provider's own logs to stderr). */
import type { Logger } from "../../src/log/logger.ts";

/** A logger that writes nothing: for components whose logs the test does not look at. */
export const silentLogger: Logger = {
  error: () => {},
  warn: () => {},
  info: () => {},
  debug: () => {},
};
