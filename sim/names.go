package main

import (
	"bytes"
	"regexp"
	"strings"
)

// vCenter escapes "/", "\" and "%" in the names of entities it stores ("%2f", "%5c", "%25"),
// "unless [a percent] is used to start an escape sequence" (vSphere API reference,
// ManagedEntity.name): a client that sends "web%2f01" gets "web%2f01", not "web%252f01".
// The simulator (v0.56) escapes every "%" of a new folder's or VM's name, and escapes nothing
// for renames, pools, vApps and clusters. The extensions rewrite the name in such requests
// so that the simulator stores what vCenter would. A clone is named after it is made
// (completeClone): the simulator builds its file paths from the name as sent, and fails
// on a "%", "/" or "\" there.

// escapeSequence is one of the escapes vCenter leaves alone in a name.
var escapeSequence = regexp.MustCompile(`(?i)%(2f|5c|25)`)

// vcenterEscape is the name vCenter stores for a name a client sends.
func vcenterEscape(name string) string {
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		switch c := name[i]; c {
		case '/':
			b.WriteString("%2f")
		case '\\':
			b.WriteString("%5c")
		case '%':
			if escapeSequence.MatchString(name[i:min(i+3, len(name))]) {
				b.WriteByte('%')
			} else {
				b.WriteString("%25")
			}
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// unescapeSequences undoes the escape sequences in a name, for the requests that the
// simulator escapes itself: it then stores vcenterEscape(name).
func unescapeSequences(name string) string {
	return escapeSequence.ReplaceAllStringFunc(name, func(seq string) string {
		switch strings.ToLower(seq) {
		case "%2f":
			return "/"
		case "%5c":
			return "\\"
		}
		return "%"
	})
}

// How a method's name is mended.
const (
	escapeForSimulator   = iota // send vcenterEscape(name): the simulator stores it as sent
	unescapeForSimulator        // send it unescaped: the simulator escapes it itself
	fileSafeForSimulator        // send a name without "%", "/" or "\"; completeClone renames
)

// nameElements says, for each method that names a new or renamed entity, which element holds
// the name (the first of that name in the request) and how it is mended.
var nameElements = map[string]struct {
	element string
	mending int
}{
	"CreateFolder":       {"name", unescapeForSimulator},
	"CreateVM_Task":      {"name", unescapeForSimulator}, // config.name, the first <name>
	"CloneVM_Task":       {"name", fileSafeForSimulator},
	"Rename_Task":        {"newName", escapeForSimulator},
	"CreateResourcePool": {"name", escapeForSimulator},
	"CreateVApp":         {"name", escapeForSimulator},
	"CreateClusterEx":    {"name", escapeForSimulator},
	"CreateDatacenter":   {"name", escapeForSimulator},
}

// fileSafe replaces the characters that the simulator's clone cannot have in a file name
// (any "%" fails its disk copy with InvalidDeviceSpec, a "/" with FileFault).
var fileSafe = strings.NewReplacer("%", "_", "/", "_", "\\", "_")

// openTags match the opening tag of each name element. pyVmomi 8 and later mark elements with
// a versionId attribute: <name versionId="8.0.3.0">.
var openTags = map[string]*regexp.Regexp{
	"name":    regexp.MustCompile(`<name(\s[^>]*)?>`),
	"newName": regexp.MustCompile(`<newName(\s[^>]*)?>`),
}

// mendName rewrites the entity name in a request body so that the simulator stores the name
// as vCenter would (see vcenterEscape). Other requests are returned as they are.
func mendName(method string, body []byte) []byte {
	spec, ok := nameElements[method]
	if !ok {
		return body
	}
	open := openTags[spec.element].FindIndex(body)
	if open == nil {
		return body
	}
	start := open[1]
	stop := bytes.Index(body[start:], []byte("</"+spec.element+">"))
	if stop < 0 {
		return body
	}
	name := string(body[start : start+stop])
	var mended string
	switch spec.mending {
	case escapeForSimulator:
		mended = vcenterEscape(name)
	case unescapeForSimulator:
		mended = unescapeSequences(name)
	case fileSafeForSimulator:
		mended = fileSafe.Replace(name)
	}
	if mended == name {
		return body
	}
	out := make([]byte, 0, len(body)+len(mended)-len(name))
	out = append(out, body[:start]...)
	out = append(out, mended...)
	return append(out, body[start+stop:]...)
}
