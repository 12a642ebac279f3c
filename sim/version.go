package main

import (
	"bytes"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/vmware/govmomi/vim25/types"
)

// defaultAPIVersion is the vSphere API version of a generated inventory. govmomi's model says
// 6.5 unless told otherwise, though its types are current.
const defaultAPIVersion = "8.0.3.0"

// apiVersions are the vim25 API versions of vCenter releases, newest first. A vCenter lists in
// /sdk/vimServiceVersions.xml the versions it speaks; clients negotiate from that list.
var apiVersions = []string{
	"8.0.3.0", "8.0.2.0", "8.0.1.0", "8.0.0.2", "8.0.0.1", "8.0.0.0",
	"7.0.3.0", "7.0.2.0", "7.0.1.0", "7.0.0.0",
	"6.7.3", "6.7.2", "6.7.1", "6.7", "6.5", "6.0", "5.5",
}

// releases are what a vCenter of each API version that -api-version takes says about itself:
// its product version and a build of it.
var releases = map[string]struct{ version, build string }{
	"8.0.3.0": {"8.0.3", "24322831"},
	"7.0.3.0": {"7.0.3", "21477706"},
	"6.7.3":   {"6.7.0", "14367737"},
	"6.5":     {"6.5.0", "5973321"},
}

func releaseNames() string {
	names := make([]string, 0, len(releases))
	for name := range releases {
		names = append(names, name)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// setRelease makes the service content's about info say the release of apiVersion.
func setRelease(about *types.AboutInfo, apiVersion string) error {
	r, ok := releases[apiVersion]
	if !ok {
		return fmt.Errorf("-api-version %q: one of %s", apiVersion, releaseNames())
	}
	about.ApiVersion = apiVersion
	about.Version = r.version
	about.Build = r.build
	about.FullName = fmt.Sprintf("VMware vCenter Server %s build-%s", r.version, r.build)
	about.LicenseProductVersion = strings.Join(strings.SplitN(r.version, ".", 3)[:2], ".")
	return nil
}

// olderThan compares two dotted API versions by their numbers ("6.7" < "6.7.3" < "7.0.0.0").
func olderThan(a, b string) bool {
	x, y := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(x) || i < len(y); i++ {
		var m, n int
		if i < len(x) {
			m, _ = strconv.Atoi(x[i])
		}
		if i < len(y) {
			n, _ = strconv.Atoi(y[i])
		}
		if m != n {
			return m < n
		}
	}
	return false
}

// serveServiceVersions answers /sdk/vimServiceVersions.xml with the API version of the
// simulated release and every older one, as vCenter lists them. The stock answer lists only
// 6.0 and 5.5 beside the current version, so a client that does not know the current version
// would fall back to 6.0 instead of the newest version both sides speak.
func serveServiceVersions(w http.ResponseWriter, apiVersion string) {
	var b bytes.Buffer
	b.WriteString("<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<namespaces version=\"1.0\">\n")
	b.WriteString(" <namespace>\n  <name>urn:vim25</name>\n  <version>" + apiVersion + "</version>\n  <priorVersions>\n")
	for _, v := range apiVersions {
		if olderThan(v, apiVersion) {
			b.WriteString("   <version>" + v + "</version>\n")
		}
	}
	b.WriteString("  </priorVersions>\n </namespace>\n</namespaces>\n")
	w.Header().Set("Content-Type", "text/xml")
	_, _ = w.Write(b.Bytes())
}
