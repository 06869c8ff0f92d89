import { status as GrpcStatus } from "@grpc/grpc-js";
import { InvalidMountConfigError } from "../errors.ts";
import { readableLine } from "../text/readable_text.ts";
import type { FailureKind } from "../keyvault/errors.ts";
import { ObjectError } from "../mount/object_error.ts";
import { ResponseTooLargeError } from "../mount/response_size.ts";

const CODES: Record<FailureKind, GrpcStatus> = {
  notFound: GrpcStatus.NOT_FOUND,
  forbidden: GrpcStatus.PERMISSION_DENIED,
  unauthenticated: GrpcStatus.UNAUTHENTICATED,
  unavailable: GrpcStatus.UNAVAILABLE,
  deadline: GrpcStatus.DEADLINE_EXCEEDED,
  cancelled: GrpcStatus.CANCELLED,
  invalid: GrpcStatus.INVALID_ARGUMENT,
  unsupported: GrpcStatus.FAILED_PRECONDITION,
  unknown: GrpcStatus.UNKNOWN,
};

/** A gRPC status for a failed mount: the code and the message users see in pod events. */
export interface MountStatus {
  readonly code: GrpcStatus;
  readonly details: string;
}

/**
 * Maps a mount failure to a gRPC status, in one place. The message keeps the Go provider's
 * `failed to mount objects, error:` prefix, which users and alerts already search for.
 */
export function mountStatus(error: unknown): MountStatus {
  // Object names and Key Vault's own messages are quoted in it: one bounded, readable line.
  const details = readableLine(`failed to mount objects, error: ${messageOf(error)}`);
  if (error instanceof InvalidMountConfigError) return { code: GrpcStatus.INVALID_ARGUMENT, details };
  if (error instanceof ObjectError) return { code: CODES[error.failure.kind], details };
  if (error instanceof ResponseTooLargeError) return { code: GrpcStatus.RESOURCE_EXHAUSTED, details };
  return { code: GrpcStatus.UNKNOWN, details };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
