package main

import (
	"regexp"
	"strings"
)

// unmodelled are the properties of vSphere's managed objects, up to API 8.0.3.0, that
// v0.56's objects have no field for, with the API version that added each: the simulator
// answers a read of them with InvalidProperty (in the missing set, or as the fault of a
// Fetch), where vCenter of that version answers them unset. (Found by comparing pyVmomi's
// type descriptions for 8.0.3.0 with govmomi's vim25/mo structs; ResourcePool.namespace and
// the other 7.0 properties are there and read as unset already.)
var unmodelled = map[string][]struct{ name, since string }{
	"ComputeResource":        {{"configManagerEnabled", "8.0.0.0"}},
	"ClusterComputeResource": {{"configManagerEnabled", "8.0.0.0"}, {"summaryEx", "7.0.1.1"}},
	"EventHistoryCollector":  {{"initialized", "8.0.3.0"}},
	"HostCpuSchedulerSystem": {{"cpuSchedulerInfo", "8.0.3.0"}},
	"HostProfile":            {{"complianceCheckTime", "8.0.1.0"}},
}

// isUnmodelled tells whether a property path of a type starts with a property that the
// reported API version has and the simulator's objects lack.
func isUnmodelled(kind, path string) bool {
	version := serviceContent().About.ApiVersion
	for _, p := range unmodelled[kind] {
		if (path == p.name || strings.HasPrefix(path, p.name+".") || strings.HasPrefix(path, p.name+"[")) &&
			!olderThan(version, p.since) {
			return true
		}
	}
	return false
}

// The parts of a property request that name properties: each property spec's type and paths.
var (
	propSpecPattern = regexp.MustCompile(`(?s)<propSet(?:\s[^>]*)?>.*?</propSet>`)
	typePattern     = regexp.MustCompile(`<type(?:\s[^>]*)?>([^<]*)</type>`)
	pathSetPattern  = regexp.MustCompile(`<pathSet(?:\s[^>]*)?>([^<]*)</pathSet>`)
	fetchPattern    = regexp.MustCompile(`<prop(?:\s[^>]*)?>([^<]*)</prop>`)
)

// readsProperties are the methods whose requests carry property specs.
var readsProperties = map[string]bool{
	"RetrieveProperties":   true,
	"RetrievePropertiesEx": true,
	"CreateFilter":         true,
}

// omitUnmodelled takes the unmodelled properties out of a property request before the
// simulator sees it: the answer then leaves them out, as vCenter leaves out unset properties.
// Other requests are returned as they are.
func omitUnmodelled(method string, body []byte) []byte {
	if !readsProperties[method] {
		return body
	}
	return propSpecPattern.ReplaceAllFunc(body, func(spec []byte) []byte {
		kind := typePattern.FindSubmatch(spec)
		if kind == nil || unmodelled[string(kind[1])] == nil {
			return spec
		}
		return pathSetPattern.ReplaceAllFunc(spec, func(path []byte) []byte {
			if isUnmodelled(string(kind[1]), string(pathSetPattern.FindSubmatch(path)[1])) {
				return nil
			}
			return path
		})
	})
}

// fetchesUnmodelled tells whether a Fetch (pyVmomi's way to read one property) reads an
// unmodelled property: its answer is then an unset value.
func fetchesUnmodelled(this string, body []byte) bool {
	prop := fetchPattern.FindSubmatch(body)
	return prop != nil && isUnmodelled(this, string(prop[1]))
}
