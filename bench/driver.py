"""The benchmark's gRPC client: python3-grpcio (the gRPC C core), independent of both providers.

Speaks JSON lines: one command per line on stdin, one answer per line on stdout.

  {"op": "health", "socket": path}
      -> {"status": "SERVING"} or {"error": {...}}
  {"op": "mounts", "socket": path, "requests": [MountRequest fields...], "concurrency": n,
   "deadline_seconds": s}
      -> {"wall_ms": ms, "results": [{"start_ms", "end_ms", "ms", "code", "details", "files", "bytes"}]}
         start_ms/end_ms are offsets from the batch start; results keep the request order.
  {"op": "quit"}

Calls go out as asynchronous futures, so `concurrency` calls really are in flight at once on one
channel (the driver keeps one connection per provider too). Timings are wall-clock around each
call as the client sees it; file contents are counted, never printed.
"""
import json
import os
import sys
import threading
import time

import grpc

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "harness"))
from python_client import load_messages  # noqa: E402  (the harness's protoc step, shared)

PB = load_messages()
CHANNELS = {}


def channel(socket):
    if socket not in CHANNELS:
        CHANNELS[socket] = grpc.insecure_channel(
            "unix:" + socket,
            options=[
                ("grpc.default_authority", "localhost"),
                ("grpc.max_receive_message_length", 4 * 1024 * 1024),
            ],
        )
    return CHANNELS[socket]


def health(job):
    call = channel(job["socket"]).unary_unary(
        "/grpc.health.v1.Health/Check",
        request_serializer=lambda _: b"",
        response_deserializer=lambda data: data,
    )
    try:
        raw = call(None, timeout=job.get("deadline_seconds", 10))
        return {"status": "SERVING" if raw == b"\x08\x01" else raw.hex()}
    except grpc.RpcError as error:
        return {"error": {"code": error.code().name, "details": error.details()}}


def mounts(job):
    mount = channel(job["socket"]).unary_unary(
        "/v1alpha1.CSIDriverProvider/Mount",
        request_serializer=PB.MountRequest.SerializeToString,
        response_deserializer=PB.MountResponse.FromString,
    )
    requests = [PB.MountRequest(**fields) for fields in job["requests"]]
    timeout = job.get("deadline_seconds", 60)
    slots = threading.Semaphore(max(1, int(job.get("concurrency", 1))))
    results = [None] * len(requests)
    done = threading.Event()
    remaining = [len(requests)]
    lock = threading.Lock()
    t0 = time.perf_counter()

    def finish(index, started, future):
        ended = time.perf_counter()
        result = {"start_ms": (started - t0) * 1000, "end_ms": (ended - t0) * 1000, "ms": (ended - started) * 1000}
        try:
            response = future.result()
            result.update(code="OK", files=len(response.files), bytes=sum(len(f.contents) for f in response.files))
        except grpc.RpcError as error:
            result.update(code=error.code().name, details=error.details(), files=0, bytes=0)
        results[index] = result
        slots.release()
        with lock:
            remaining[0] -= 1
            if remaining[0] == 0:
                done.set()

    if not requests:
        done.set()
    for index, request in enumerate(requests):
        slots.acquire()
        started = time.perf_counter()
        future = mount.future(request, timeout=timeout)
        future.add_done_callback(lambda f, i=index, s=started: finish(i, s, f))
    done.wait()
    return {"wall_ms": (time.perf_counter() - t0) * 1000, "results": results}


def main():
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        job = json.loads(line)
        op = job.get("op")
        if op == "quit":
            break
        if op == "health":
            answer = health(job)
        elif op == "mounts":
            answer = mounts(job)
        else:
            answer = {"error": {"code": "UNKNOWN_OP", "details": f"unknown op {op}"}}
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    main()
