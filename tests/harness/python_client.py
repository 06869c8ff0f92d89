"""An independent gRPC client (the gRPC C core, via Debian's python3-grpcio) for the provider.

Reads one JSON request on stdin: {"socket": path, "method": "Mount"|"Version"|"Health",
"request": {...}, "deadline_seconds": n}. Generates the message classes from proto/provider.proto
with grpc_tools.protoc, calls the method over unix:<socket> with authority localhost, and prints
the response as JSON (file contents base64) or {"error": {"code": NAME, "details": text}}.
"""
import base64
import importlib
import json
import os
import sys
import tempfile

import grpc
from grpc_tools import protoc

PROTO_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "proto")


def load_messages():
    out = tempfile.mkdtemp(prefix="provider-pb2-")
    code = protoc.main(["protoc", f"-I{PROTO_DIR}", f"--python_out={out}", os.path.join(PROTO_DIR, "provider.proto")])
    if code != 0:
        raise SystemExit(f"protoc failed with {code}")
    sys.path.insert(0, out)
    return importlib.import_module("provider_pb2")


def main():
    job = json.load(sys.stdin)
    pb = load_messages()
    channel = grpc.insecure_channel(
        "unix:" + job["socket"],
        options=[("grpc.default_authority", "localhost"), ("grpc.max_receive_message_length", 4 * 1024 * 1024)],
    )
    method = job["method"]
    timeout = job.get("deadline_seconds", 30)
    request = job.get("request", {})
    try:
        if method == "Mount":
            call = channel.unary_unary(
                "/v1alpha1.CSIDriverProvider/Mount",
                request_serializer=pb.MountRequest.SerializeToString,
                response_deserializer=pb.MountResponse.FromString,
            )
            response = call(pb.MountRequest(**request), timeout=timeout)
            print(json.dumps({
                "object_version": [{"id": v.id, "version": v.version} for v in response.object_version],
                "files": [
                    {"path": f.path, "mode": f.mode, "contents": base64.b64encode(f.contents).decode()}
                    for f in response.files
                ],
                "error_code": response.error.code,
            }))
        elif method == "Version":
            call = channel.unary_unary(
                "/v1alpha1.CSIDriverProvider/Version",
                request_serializer=pb.VersionRequest.SerializeToString,
                response_deserializer=pb.VersionResponse.FromString,
            )
            response = call(pb.VersionRequest(version="v1alpha1"), timeout=timeout)
            print(json.dumps({
                "version": response.version,
                "runtime_name": response.runtime_name,
                "runtime_version": response.runtime_version,
            }))
        elif method == "Health":
            call = channel.unary_unary(
                "/grpc.health.v1.Health/Check",
                request_serializer=lambda _: b"",
                response_deserializer=lambda data: data,
            )
            raw = call(None, timeout=timeout)
            # HealthCheckResponse{status = 1 (SERVING)} is the two bytes 08 01.
            print(json.dumps({"status": "SERVING" if raw == b"\x08\x01" else raw.hex()}))
        else:
            raise SystemExit(f"unknown method {method}")
    except grpc.RpcError as error:
        print(json.dumps({"error": {"code": error.code().name, "details": error.details()}}))


if __name__ == "__main__":
    main()
