/**
 * Fault injection: rules that make matching requests slow, fail with a chosen
 * status, lose their connection, or never get an answer. Rules are consulted
 * in order for every request before the emulated service sees it.
 */
import type { ServiceName } from "./records.ts";

/** Which requests a fault applies to; omitted fields match everything. */
export interface FaultMatch {
  service?: ServiceName;
  /** Exact host, or `*.suffix` for every host under a suffix. */
  host?: string;
  /** Matches when the request path starts with this. */
  pathPrefix?: string;
  method?: string;
  /** How many matching requests it affects; unlimited when omitted. */
  times?: number;
}

/** Delay the request by `ms` before it is handled (other faults may still apply). */
export interface LatencyFault extends FaultMatch {
  kind: "latency";
  ms: number;
}

/** Answer with `status` instead of handling the request. */
export interface StatusFault extends FaultMatch {
  kind: "status";
  status: number;
  /** Seconds, sent as `Retry-After`. */
  retryAfter?: number;
  /** JSON value or string; a service-typical body is used when omitted. */
  body?: unknown;
  headers?: Record<string, string>;
}

/** Destroy the client's connection without any response. */
export interface ResetFault extends FaultMatch {
  kind: "reset";
}

/** Never answer; the request ends only when the client goes away. */
export interface HangFault extends FaultMatch {
  kind: "hang";
}

/** Any fault rule. */
export type Fault = LatencyFault | StatusFault | ResetFault | HangFault;

/** What a request is subject to: summed latency, then at most one terminal fault. */
export interface FaultPlan {
  latencyMs: number;
  terminal?: StatusFault | ResetFault | HangFault;
}

/** Request properties faults are matched against. */
export interface FaultTarget {
  service: ServiceName;
  host: string;
  path: string;
  method: string;
}

/** The active fault rules and their remaining counts. */
export class FaultSet {
  #rules: { fault: Fault; remaining: number }[] = [];

  /** Replaces all rules. Validates them first. */
  set(faults: Fault | Fault[]): void {
    const list = Array.isArray(faults) ? faults : [faults];
    list.forEach(validateFault);
    this.#rules = list.map((fault) => ({
      fault: structuredClone(fault),
      remaining: fault.times ?? Infinity,
    }));
  }

  /** Removes all rules. */
  clear(): void {
    this.#rules = [];
  }

  /** The rules still active, with their remaining counts as `times`. */
  list(): Fault[] {
    return this.#rules.filter((r) => r.remaining > 0).map((r) => ({
      ...structuredClone(r.fault),
      ...(Number.isFinite(r.remaining) ? { times: r.remaining } : {}),
    }));
  }

  /**
   * Works out which faults hit this request and uses up one count of each.
   * Latency rules add up; the first status/reset/hang rule wins and stops
   * the scan, so later rules keep their counts.
   */
  take(target: FaultTarget): FaultPlan {
    const plan: FaultPlan = { latencyMs: 0 };
    for (const rule of this.#rules) {
      if (rule.remaining <= 0 || !matches(rule.fault, target)) continue;
      rule.remaining--;
      if (rule.fault.kind === "latency") {
        plan.latencyMs += rule.fault.ms;
        continue;
      }
      plan.terminal = rule.fault;
      break;
    }
    return plan;
  }
}

function matches(f: FaultMatch, t: FaultTarget): boolean {
  return (f.service === undefined || f.service === t.service) &&
    (f.host === undefined || hostMatches(f.host, t.host)) &&
    (f.pathPrefix === undefined || t.path.startsWith(f.pathPrefix)) &&
    (f.method === undefined || f.method.toUpperCase() === t.method);
}

function hostMatches(pattern: string, host: string): boolean {
  const p = pattern.toLowerCase();
  return p.startsWith("*.") ? host.endsWith(p.slice(1)) : host === p;
}

const SERVICES = ["keyvault", "entra", "imds", "nmi"];

/** Throws a descriptive error if `f` is not a well-formed fault (it may come from JSON). */
export function validateFault(f: Fault): void {
  if (typeof f !== "object" || f === null) throw new Error("fault must be an object");
  if (f.service !== undefined && !SERVICES.includes(f.service)) {
    throw new Error(`fault.service must be one of ${SERVICES.join(", ")}`);
  }
  if (f.times !== undefined && !(Number.isInteger(f.times) && f.times >= 0)) {
    throw new Error("fault.times must be a non-negative integer");
  }
  switch (f.kind) {
    case "latency":
      if (!(typeof f.ms === "number" && f.ms >= 0)) throw new Error("latency fault needs ms >= 0");
      return;
    case "status":
      if (!(Number.isInteger(f.status) && f.status >= 100 && f.status <= 599)) {
        throw new Error("status fault needs an HTTP status 100-599");
      }
      return;
    case "reset":
    case "hang":
      return;
    default:
      throw new Error(`unknown fault kind ${(f as { kind: unknown }).kind}`);
  }
}
