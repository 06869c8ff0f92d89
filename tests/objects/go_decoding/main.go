// Prints the decoding table of tests/objects/encoding_test.ts: how the Go provider's decoders,
// encoding/base64 StdEncoding.DecodeString and encoding/hex.DecodeString, treat each input.
// Each row is [input, Go's bytes as hex or null for an error, the same for the input with
// the ASCII spaces, tabs and line breaks around it removed (the provider's one documented
// leniency)]. Regenerate with:
//
//	cd tests/objects/go_decoding && go run . > /tmp/table.txt
//
// and paste the two lists into the test.
package main

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
)

// wrap breaks s into lines of n characters ending in eol, as base64(1) (76, "\n") and
// openssl base64 (64, "\n") write them; "\r\n" is what the same files become on Windows.
func wrap(s string, n int, eol string) string {
	var b strings.Builder
	for len(s) > n {
		b.WriteString(s[:n] + eol)
		s = s[n:]
	}
	b.WriteString(s + eol)
	return b.String()
}

func base64Inputs() []string {
	data := make([]byte, 60) // 80 characters: two lines at 64 or 76 columns
	for i := range data {
		data[i] = byte(i * 7)
	}
	long := base64.StdEncoding.EncodeToString(data)
	return []string{
		// well-formed, unwrapped
		"", "QQ==", "QUI=", "QUJD", "QUJDRA==", long,
		// wrapped as base64(1) and openssl base64 write it, and with Windows line ends
		wrap(long, 76, "\n"), wrap(long, 64, "\n"), wrap(long, 76, "\r\n"), wrap(long, 64, "\r\n"),
		strings.TrimSuffix(wrap(long, 64, "\n"), "\n"),
		// line breaks anywhere, even inside the padding
		"QQ==\n", "\nQQ==", "QU\nJD", "QU\r\nJD", "Q\rQ\n=\r=", "QQ=\n=", "QQ==\n\n\n", "Q\nU\nJ\nD",
		"\r\n", "\n", "QUJD\n\r\n\r",
		// other whitespace: around the value, and inside it
		" QUJD", "QUJD ", "\tQUJD", "QUJD\t", " QUJD\n", "QUJD\n ", "\vQUJD", "QUJD\f",
		"  " + wrap(long, 64, "\n") + "  ", "QU JD", "QU\tJD", "QUJD\u00a0", "\u00a0QUJD",
		"QUJD\u2028", "\ufeffQUJD", "QUJD\x00",
		// missing or misplaced padding
		"QQ", "QUI", "QQ=", "QQ===", "Q", "QUJDR", "QQ==QQ==", "QUJD=", "=", "====", "QUJD====",
		// alphabets: standard +/ accepted, URL-safe -_ refused
		"+/+/", "/w==", "+w==", "-_-_", "-_8=", "_w==",
		// unused bits set in the last character (Go's StdEncoding is not strict)
		"QR==", "QUJ=",
	}
}

func hexInputs() []string {
	return []string{
		"", "41", "4142", "0a0B", "DEADbeef", "AbCdEf", "abcdef0123456789ABCDEF",
		"414", "4", "0x41", "4g", "zz", "4 1", "41\n42",
		"41\n", "\n41", " 41", "41 ", "41\t", "41\r\n", "41\r", " 41 \n", "41\u00a0", "\ufeff41",
	}
}

func decoded(b []byte, err error) *string {
	if err != nil {
		return nil
	}
	s := hex.EncodeToString(b)
	return &s
}

// asciiOnly escapes every non-ASCII character as \uXXXX (json.Marshal writes U+00A0 and
// U+FEFF as they are, which would be invisible in the test's source).
func asciiOnly(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r < 0x80 {
			b.WriteRune(r)
		} else {
			fmt.Fprintf(&b, "\\u%04x", r)
		}
	}
	return b.String()
}

func table(inputs []string, decode func(string) ([]byte, error)) {
	for _, in := range inputs {
		trimmed := strings.Trim(in, " \t\n\v\f\r")
		row, _ := json.Marshal([]any{in, decoded(decode(in)), decoded(decode(trimmed))})
		fmt.Printf("  %s,\n", asciiOnly(string(row)))
	}
}

func main() {
	fmt.Println("base64:")
	table(base64Inputs(), base64.StdEncoding.DecodeString)
	fmt.Println("hex:")
	table(hexInputs(), hex.DecodeString)
}
