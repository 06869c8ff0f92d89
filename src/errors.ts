import { readableLine } from "./text/readable_text.ts";

/**
 * A mount request that cannot succeed as written: bad JSON, a missing parameter, an object
 * field out of range. Raised before any network call and answered with gRPC InvalidArgument.
 * The message is made one bounded, readable line: it quotes user input and is shown to users.
 */
export class InvalidMountConfigError extends Error {
  override name = "InvalidMountConfigError";

  constructor(message: string) {
    super(readableLine(message));
  }
}
