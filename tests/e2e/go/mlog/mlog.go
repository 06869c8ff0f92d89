// Package mlog stands in for monis.app/mlog, which the Secrets Store CSI Driver imports but the
// Go module proxy does not serve. It offers only what the driver calls, over klog: Setup, the
// two formats, the level check and Error/Fatal. Text is the only format it writes.
package mlog

import (
	"context"
	"fmt"
	"os"

	"k8s.io/klog/v2"
)

// Format names a log output format.
type Format string

const (
	// FormatText is klog's text format.
	FormatText Format = "text"
	// FormatJSON is accepted and written as text: the suite reads the driver's log, not its shape.
	FormatJSON Format = "json"
)

// Setup returns the function that flushes the log on exit.
func Setup() func() {
	return klog.Flush
}

// ValidateAndSetKlogLevelAndFormatGlobally checks the level and format; klog's flags already
// carry the level once flag.Parse has run.
func ValidateAndSetKlogLevelAndFormatGlobally(_ context.Context, level klog.Level, format Format) error {
	if level < 0 {
		return fmt.Errorf("invalid log level %d", level)
	}
	if format != FormatText && format != FormatJSON {
		return fmt.Errorf("invalid log format %q", format)
	}
	return nil
}

// Error logs an error with key/value pairs.
func Error(msg string, err error, keysAndValues ...any) {
	klog.ErrorSDepth(1, err, msg, keysAndValues...)
}

// Fatal logs the error and exits with status 1.
func Fatal(err error, keysAndValues ...any) {
	klog.ErrorSDepth(1, err, "fatal error", keysAndValues...)
	klog.Flush()
	os.Exit(1)
}
