/**
 * The request log: one record per HTTP request any emulated service received,
 * including ones still in flight, so tests can assert on call sequences,
 * identities, timing and requests the client abandoned.
 */

/** Which emulated service answered. */
export type ServiceName = "keyvault" | "entra" | "imds" | "nmi" | "apiserver" | "tokenProxy";

/** One received request. Times are Unix epoch milliseconds. */
export interface RecordedRequest {
  /** Increasing sequence number, unique per emulator. */
  id: number;
  service: ServiceName;
  /** Host the client addressed (lower case, no port for 443/80). */
  host: string;
  method: string;
  path: string;
  /** Query parameters, keys percent-decoded (`api%2Dversion` -> `api-version`). */
  query: Record<string, string>;
  /** Status sent; 0 when no response was sent (reset, hang, client gone). */
  status: number;
  /** Seed name of the identity the token (presented or issued) belongs to. */
  identity?: string;
  startedAt: number;
  /** Absent while the request is still in flight. */
  endedAt?: number;
  /** The client went away before the response was sent. */
  aborted: boolean;
  /** Kind of injected fault that shaped this request, if any. */
  fault?: "latency" | "status" | "reset" | "hang";
}

/** Criteria for {@link RequestLog.list}; all given fields must match. */
export interface RequestFilter {
  service?: ServiceName;
  host?: string;
  method?: string;
  /** Matches when the path starts with this. */
  pathPrefix?: string;
  status?: number;
  identity?: string;
  aborted?: boolean;
}

/** Fields known when a request arrives. */
export type RequestStart = Pick<RecordedRequest, "service" | "host" | "method" | "path" | "query">;

/** Append-only (until reset) log of requests. */
export class RequestLog {
  #records: RecordedRequest[] = [];
  #nextId = 1;

  /** Records a request's arrival and returns the live record to complete later. */
  start(req: RequestStart): RecordedRequest {
    const record: RecordedRequest = {
      id: this.#nextId++,
      ...req,
      status: 0,
      startedAt: Date.now(),
      aborted: false,
    };
    this.#records.push(record);
    return record;
  }

  /** Marks a record finished with the status sent (0 = none). */
  finish(record: RecordedRequest, status: number, aborted = false): void {
    record.status = status;
    record.aborted = aborted;
    record.endedAt = Date.now();
  }

  /** Copies of the records matching `filter`, oldest first. */
  list(filter: RequestFilter | ((r: RecordedRequest) => boolean) = {}): RecordedRequest[] {
    const match = typeof filter === "function" ? filter : (r: RecordedRequest) => matches(r, filter);
    return this.#records.filter(match).map((r) => structuredClone(r));
  }

  /** Forgets all records (in-flight ones keep completing, unseen). */
  reset(): void {
    this.#records = [];
  }
}

function matches(r: RecordedRequest, f: RequestFilter): boolean {
  return (f.service === undefined || r.service === f.service) &&
    (f.host === undefined || r.host === f.host.toLowerCase()) &&
    (f.method === undefined || r.method === f.method.toUpperCase()) &&
    (f.pathPrefix === undefined || r.path.startsWith(f.pathPrefix)) &&
    (f.status === undefined || r.status === f.status) &&
    (f.identity === undefined || r.identity === f.identity) &&
    (f.aborted === undefined || r.aborted === f.aborted);
}
