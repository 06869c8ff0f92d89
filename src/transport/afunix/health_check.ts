import { Buffer } from "node:buffer";
import http2 from "node:http2";
import { healthService } from "../proto.ts";
import { dialUnix } from "./dial.ts";
import { loadSockets } from "./sockets.ts";

/** What a `grpc.health.v1.Health/Check` call answered: a gRPC status, and the response if OK. */
export interface HealthAnswer {
  readonly code: number;
  readonly details: string;
  /** The response's `status` field (1 = SERVING) when code is 0. */
  readonly status?: unknown;
}

const OK = 0;
const DEADLINE_EXCEEDED = 4;
const INTERNAL = 13;
const UNAVAILABLE = 14;

/**
 * Calls Health/Check on the AF_UNIX socket at `path` over a fresh connection made with the FFI
 * dialer. grpc-js's client can only dial through `node:net`, which on Windows reaches named
 * pipes and not the provider's socket, so this is the one gRPC call made by hand: one request
 * on node:http2, with the messages encoded by the same service definition the server uses.
 */
export function healthCheckOverAfUnix(path: string, timeoutMs: number): Promise<HealthAnswer> {
  let stream;
  try {
    stream = dialUnix(loadSockets(), path);
  } catch (error) {
    return Promise.resolve({ code: UNAVAILABLE, details: (error as Error).message });
  }
  const connection = stream;
  const answered = Promise.withResolvers<HealthAnswer>();
  const session = http2.connect("http://localhost", { createConnection: () => connection });
  const timer = setTimeout(
    () => answered.resolve({ code: DEADLINE_EXCEEDED, details: "context deadline exceeded" }),
    timeoutMs,
  );
  session.on("error", (error) => answered.resolve({ code: UNAVAILABLE, details: error.message }));
  const method = healthService.Check;
  const request = session.request({
    ":method": "POST",
    ":path": method.path,
    "content-type": "application/grpc",
    "te": "trailers",
    "grpc-timeout": `${Math.max(1, Math.ceil(timeoutMs))}m`,
  });
  const chunks: Buffer[] = [];
  let trailers: http2.IncomingHttpHeaders = {};
  request.on("response", (headers) => trailers = headers);
  request.on("trailers", (headers) => trailers = headers);
  request.on("data", (chunk: Buffer) => chunks.push(chunk));
  request.on("error", (error) => answered.resolve({ code: UNAVAILABLE, details: error.message }));
  request.on("end", () => answered.resolve(readAnswer(trailers, Buffer.concat(chunks), method)));
  const message = method.requestSerialize({ service: "" });
  const frame = Buffer.alloc(5 + message.length);
  frame.writeUInt32BE(message.length, 1);
  message.copy(frame, 5);
  request.end(frame);
  return answered.promise.finally(() => {
    clearTimeout(timer);
    session.destroy();
    connection.destroy();
  });
}

function readAnswer(
  trailers: http2.IncomingHttpHeaders,
  body: Buffer,
  method: typeof healthService.Check,
): HealthAnswer {
  const code = Number(trailers["grpc-status"] ?? NaN);
  const details = decodeURIComponent(String(trailers["grpc-message"] ?? ""));
  if (!Number.isInteger(code)) return { code: INTERNAL, details: "the response has no grpc-status" };
  if (code !== OK) return { code, details };
  if (body.length < 5 || body[0] !== 0 || body.readUInt32BE(1) !== body.length - 5) {
    return { code: INTERNAL, details: "the response is not one uncompressed gRPC message" };
  }
  const response = method.responseDeserialize(body.subarray(5)) as { status?: unknown };
  return { code, details, status: response.status };
}
