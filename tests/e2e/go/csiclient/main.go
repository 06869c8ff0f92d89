// Command csi-client makes one CSI call over a Unix socket, the way kubelet calls a CSI node
// plugin, so the end-to-end suite can play kubelet for the Secrets Store CSI Driver.
//
// Usage: csi-client SOCKET METHOD < request.json
//
// METHOD is Probe, NodePublishVolume or NodeUnpublishVolume; the request is the CSI message in
// protobuf JSON. It prints one JSON line, {"code":"OK"} or {"code":"<gRPC code>","message":"..."},
// and exits 0 whenever the call was made, 2 on a usage or transport error.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/container-storage-interface/spec/lib/go/csi"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// kubelet gives a CSI publish two minutes; the suite's own deadlines are shorter.
const callTimeout = 2 * time.Minute

func main() {
	if len(os.Args) != 3 {
		fail(fmt.Errorf("usage: csi-client SOCKET METHOD < request.json"))
	}
	input, err := io.ReadAll(os.Stdin)
	if err != nil {
		fail(err)
	}
	conn, err := grpc.NewClient("unix://"+os.Args[1], grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		fail(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	callErr, err := call(ctx, conn, os.Args[2], input)
	if err != nil {
		fail(err)
	}
	report(callErr)
}

// call decodes the request for METHOD and makes the call; the first error is the call's outcome.
func call(ctx context.Context, conn *grpc.ClientConn, method string, input []byte) (error, error) {
	node := csi.NewNodeClient(conn)
	switch method {
	case "Probe":
		request := &csi.ProbeRequest{}
		if err := decode(input, request); err != nil {
			return nil, err
		}
		_, err := csi.NewIdentityClient(conn).Probe(ctx, request)
		return err, nil
	case "NodePublishVolume":
		request := &csi.NodePublishVolumeRequest{}
		if err := decode(input, request); err != nil {
			return nil, err
		}
		_, err := node.NodePublishVolume(ctx, request)
		return err, nil
	case "NodeUnpublishVolume":
		request := &csi.NodeUnpublishVolumeRequest{}
		if err := decode(input, request); err != nil {
			return nil, err
		}
		_, err := node.NodeUnpublishVolume(ctx, request)
		return err, nil
	}
	return nil, fmt.Errorf("unknown method %q", method)
}

func decode(input []byte, message proto.Message) error {
	if len(input) == 0 {
		input = []byte("{}")
	}
	return protojson.UnmarshalOptions{DiscardUnknown: false}.Unmarshal(input, message)
}

func report(callErr error) {
	result := map[string]string{"code": "OK"}
	if callErr != nil {
		s := status.Convert(callErr)
		result = map[string]string{"code": s.Code().String(), "message": s.Message()}
	}
	out, _ := json.Marshal(result)
	fmt.Println(string(out))
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "csi-client:", err)
	os.Exit(2)
}
