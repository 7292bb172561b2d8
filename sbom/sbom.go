// Package sbom turns a build record (build-info.json) into a CycloneDX
// SBOM: the built binary as the BOM's subject, and as its components the
// server's sources, every embedded library and every module, each with
// version, source URL, sha256 or commit, package URL and license where
// known, and the dependency graph between them.
//
// It reads nothing but the record it is given: a BOM describes what was
// built, and the record is the one account of that. Licenses and package
// URLs of known components come from the component table in source.
package sbom

import (
	"bytes"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"

	"github.com/nginx-build/nginx-build/internal/purl"
	"github.com/nginx-build/nginx-build/pin"
	"github.com/nginx-build/nginx-build/record"
	"github.com/nginx-build/nginx-build/source"
)

// SpecVersion is the CycloneDX version written: 1.6 is what current SBOM
// tools (Dependency-Track, Trivy, cyclonedx-cli) all read.
const SpecVersion = cdx.SpecVersion1_6

// PropertyPrefix starts the names of nginx-build's own properties
// (CycloneDX's convention for properties outside its taxonomy).
const PropertyPrefix = "nginx-build:"

// Options are what a BOM needs beyond the build record.
type Options struct {
	// Timestamp is the BOM's creation time; zero means the build's end
	// time. The command sets it from SOURCE_DATE_EPOCH.
	Timestamp time.Time
	// Reproducible derives the serial number from the BOM's content
	// instead of drawing it at random, so that the same build gives the
	// same bytes (for SOURCE_DATE_EPOCH builds).
	Reproducible bool
}

// bom-refs of the parts that are not named after a component.
const binaryRef = "binary"

// New describes the build in rec as a CycloneDX BOM.
func New(rec record.Record, opt Options) (*cdx.BOM, error) {
	if rec.BinarySHA256 == "" || rec.Binary == "" {
		return nil, fmt.Errorf("the build record names no binary")
	}
	server := serverName(rec)
	var (
		comps     []cdx.Component
		serverRef string
		deps      []string // what the server depends on
	)
	add := func(c cdx.Component, isServer bool) {
		comps = append(comps, c)
		if isServer {
			serverRef = c.BOMRef
		} else {
			deps = append(deps, c.BOMRef)
		}
	}
	for _, c := range rec.Components {
		add(tarballComponent(c, c.Name == server), c.Name == server)
	}
	for _, m := range rec.Modules {
		if m.Component != "" {
			add(gitComponent(m, m.Component == server), m.Component == server)
		}
	}
	for _, m := range rec.Modules {
		if m.Component == "" {
			add(moduleComponent(m), false)
		}
	}
	if serverRef == "" {
		return nil, fmt.Errorf("the build record lists no source for the server %q", server)
	}
	// The server component goes first, whatever the record's order.
	for i, c := range comps {
		if c.BOMRef == serverRef {
			comps = append(append([]cdx.Component{c}, comps[:i]...), comps[i+1:]...)
			break
		}
	}
	serverComp := comps[0]

	ts := opt.Timestamp
	if ts.IsZero() {
		ts = rec.FinishedAt
	}
	toolName, toolVersion, _ := strings.Cut(rec.Tool, " ")
	bom := cdx.NewBOM()
	bom.Metadata = &cdx.Metadata{
		Lifecycles: &[]cdx.Lifecycle{{Phase: cdx.LifecyclePhaseBuild}},
		Tools: &cdx.ToolsChoice{Components: &[]cdx.Component{{
			Type: cdx.ComponentTypeApplication, Name: toolName, Version: toolVersion,
		}}},
		Component: binaryComponent(rec, serverComp),
	}
	if !ts.IsZero() {
		bom.Metadata.Timestamp = ts.UTC().Format(time.RFC3339)
	}
	bom.Components = &comps
	graph := []cdx.Dependency{
		{Ref: binaryRef, Dependencies: &[]string{serverRef}},
		{Ref: serverRef, Dependencies: nonEmpty(deps)},
	}
	// Components without dependencies are listed with none, which says
	// "known to have none" rather than "unknown".
	for _, ref := range deps {
		graph = append(graph, cdx.Dependency{Ref: ref})
	}
	bom.Dependencies = &graph

	serial, err := serialNumber(bom, opt.Reproducible)
	if err != nil {
		return nil, err
	}
	bom.SerialNumber = serial
	return bom, nil
}

// Encode writes bom as indented CycloneDX JSON of SpecVersion.
func Encode(w io.Writer, bom *cdx.BOM) error {
	// HTML escaping would turn the "<" of "Name <mail>" in signer
	// properties into \u003c: valid, but unreadable.
	return cdx.NewBOMEncoder(w, cdx.BOMFileFormatJSON).SetPretty(true).SetEscapeHTML(false).EncodeVersion(bom, SpecVersion)
}

// serverName is the record's server; records written before it was
// recorded name it only implicitly, as the one server-role component.
func serverName(rec record.Record) string {
	if rec.Server != "" {
		return rec.Server
	}
	for _, c := range rec.Components {
		if k, err := source.Lookup(c.Name); err == nil && k.Role == source.RoleServer {
			return c.Name
		}
	}
	if len(rec.Components) > 0 {
		return rec.Components[0].Name
	}
	return ""
}

// binaryComponent is the BOM's subject: the nginx binary, identified by
// its sha256, with what shaped it (configure arguments, patches, nginx -V)
// as properties.
func binaryComponent(rec record.Record, server cdx.Component) *cdx.Component {
	props := []cdx.Property{{Name: PropertyPrefix + "binary", Value: rec.Binary}}
	for _, a := range rec.ConfigureArgs {
		props = append(props, cdx.Property{Name: PropertyPrefix + "configure-arg", Value: a})
	}
	for _, p := range rec.Patches {
		props = append(props, cdx.Property{Name: PropertyPrefix + "patch", Value: p})
	}
	if rec.NginxV != "" {
		props = append(props, cdx.Property{Name: PropertyPrefix + "nginx-V", Value: rec.NginxV})
	}
	return &cdx.Component{
		BOMRef: binaryRef, Type: cdx.ComponentTypeApplication,
		Name: server.Name, Version: server.Version,
		Description: server.Name + " binary built from source by nginx-build",
		Hashes:      &[]cdx.Hash{{Algorithm: cdx.HashAlgoSHA256, Value: rec.BinarySHA256}},
		Properties:  &props,
	}
}

// tarballComponent describes a component built from a verified tarball.
func tarballComponent(c pin.Component, isServer bool) cdx.Component {
	out := cdx.Component{
		BOMRef: "component:" + c.Name, Type: componentType(isServer),
		Name: c.Name, Version: c.Version,
		ExternalReferences: &[]cdx.ExternalReference{{Type: cdx.ERTypeDistribution, URL: c.URL}},
	}
	if c.SHA256 != "" {
		out.Hashes = &[]cdx.Hash{{Algorithm: cdx.HashAlgoSHA256, Value: c.SHA256}}
	}
	if k, err := source.Lookup(c.Name); err == nil {
		out.PackageURL = k.PURL(c.Version)
		out.Licenses = licenses(k.License(c.Version), true)
	} else if isWebURL(c.URL) {
		// A custom tarball (-customnginx/-customssl URL) is known only by
		// where it came from.
		out.PackageURL = purl.Generic(c.Name, c.Version, "download_url", c.URL)
	}
	var props []cdx.Property
	if c.Constraint != "" && c.Constraint != c.Version {
		props = append(props, cdx.Property{Name: PropertyPrefix + "constraint", Value: c.Constraint})
	}
	if v := c.Verification.Summary(); v != "" {
		props = append(props, cdx.Property{Name: PropertyPrefix + "verification", Value: v})
	}
	if s := c.Verification.Signer; s != nil {
		props = append(props, cdx.Property{Name: PropertyPrefix + "signer", Value: s.Fingerprint + " " + s.Owner})
	}
	out.Properties = nonEmptyProps(props)
	return out
}

// gitComponent describes a component built from a git checkout
// (-customnginx/-customssl with a repository).
func gitComponent(m pin.Module, isServer bool) cdx.Component {
	out := treeComponent(m, m.Component, "component:"+m.Component)
	out.Type = componentType(isServer)
	return out
}

// moduleComponent describes a third-party module.
func moduleComponent(m pin.Module) cdx.Component {
	out := treeComponent(m, m.Name, "module:"+m.Name)
	var props []cdx.Property
	if out.Properties != nil {
		props = *out.Properties
	}
	props = append(props, cdx.Property{Name: PropertyPrefix + "module-form", Value: m.Form})
	if m.Dynamic {
		props = append(props, cdx.Property{Name: PropertyPrefix + "dynamic", Value: "true"})
	}
	out.Properties = &props
	return out
}

// treeComponent is what git trees and modules have in common: a version
// (the rev asked for, else what was built), the commit, where it came
// from, and its license when modules.json gives one. A git tree built
// from the default branch (rev HEAD) is versioned by its commit: HEAD
// names no version.
func treeComponent(m pin.Module, name, ref string) cdx.Component {
	out := cdx.Component{BOMRef: ref, Type: cdx.ComponentTypeLibrary, Name: name}
	switch {
	case m.Rev != "" && m.Rev != "HEAD":
		out.Version = m.Rev
	case m.Version != "":
		out.Version = m.Version
	default:
		out.Version = m.Commit
	}
	var props []cdx.Property
	if m.Commit != "" {
		props = append(props, cdx.Property{Name: PropertyPrefix + "commit", Value: m.Commit})
	}
	switch m.Form {
	case "git", "hg":
		ref := cdx.ExternalReference{Type: cdx.ERTypeVCS, URL: m.URL}
		if m.Commit != "" {
			ref.Comment = "commit " + m.Commit
		}
		out.ExternalReferences = &[]cdx.ExternalReference{ref}
		out.PackageURL = vcsPURL(m, name)
	case "tarball":
		out.ExternalReferences = &[]cdx.ExternalReference{{Type: cdx.ERTypeDistribution, URL: m.URL}}
		if isWebURL(m.URL) {
			out.PackageURL = purl.Generic(name, out.Version, "download_url", m.URL)
		}
	case "debian":
		// The url of a debian module is a source package name.
		props = append(props, cdx.Property{Name: PropertyPrefix + "debian-source-package", Value: m.URL})
	case "local":
		// A local directory is no place anyone else can fetch from.
		props = append(props, cdx.Property{Name: PropertyPrefix + "path", Value: m.URL})
	}
	if m.SHA256 != "" {
		out.Hashes = &[]cdx.Hash{{Algorithm: cdx.HashAlgoSHA256, Value: m.SHA256}}
	}
	if m.License != "" {
		out.Licenses = licenses(m.License, false)
	}
	out.Properties = nonEmptyProps(props)
	return out
}

// vcsPURL identifies a git or hg checkout: pkg:github/OWNER/REPO@COMMIT
// for GitHub, else a generic purl with a vcs_url qualifier. A commit is
// the only exact version of a checkout; without one the rev stands in.
// Repositories on the local disk get none.
func vcsPURL(m pin.Module, name string) string {
	version := m.Commit
	if version == "" {
		version = m.Rev
	}
	u, err := url.Parse(m.URL)
	if err != nil || u.Host == "" {
		return ""
	}
	if strings.EqualFold(u.Host, "github.com") {
		parts := strings.Split(strings.Trim(u.Path, "/"), "/")
		if len(parts) == 2 {
			return purl.GitHub(parts[0], strings.TrimSuffix(parts[1], ".git"), version)
		}
	}
	vcs := m.Form + "+" + m.URL
	if version != "" {
		vcs += "@" + version
	}
	return purl.Generic(name, version, "vcs_url", vcs)
}

func componentType(isServer bool) cdx.ComponentType {
	if isServer {
		return cdx.ComponentTypeApplication
	}
	return cdx.ComponentTypeLibrary
}

// licenses puts a single SPDX identifier from nginx-build's own table in
// license.id, which every SBOM tool reads; a compound expression, or
// anything a user wrote (whose identifiers the schema's list may not
// know), goes in expression.
func licenses(expr string, known bool) *cdx.Licenses {
	if expr == "" {
		return nil
	}
	if known && !strings.Contains(expr, " ") {
		return &cdx.Licenses{{License: &cdx.License{ID: expr}}}
	}
	return &cdx.Licenses{{Expression: expr}}
}

func nonEmptyProps(p []cdx.Property) *[]cdx.Property {
	if len(p) == 0 {
		return nil
	}
	return &p
}

func nonEmpty(s []string) *[]string {
	if len(s) == 0 {
		return nil
	}
	return &s
}

func isWebURL(s string) bool {
	return strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "http://")
}

// serialNumber is a urn:uuid: a random (version 4) UUID, or for a
// reproducible BOM a name-based (version 5) one derived from everything
// else in it, so the serial still differs whenever the content does.
func serialNumber(bom *cdx.BOM, reproducible bool) (string, error) {
	var u [16]byte
	if reproducible {
		var buf bytes.Buffer
		if err := Encode(&buf, bom); err != nil {
			return "", fmt.Errorf("encode SBOM: %w", err)
		}
		sum := sha256.Sum256(buf.Bytes())
		u = uuidV5(fmt.Sprintf("urn:nginx-build:sbom:%x", sum))
	} else {
		if _, err := rand.Read(u[:]); err != nil {
			return "", fmt.Errorf("SBOM serial number: %w", err)
		}
		u[6] = u[6]&0x0f | 0x40 // version 4
		u[8] = u[8]&0x3f | 0x80 // RFC 4122 variant
	}
	return fmt.Sprintf("urn:uuid:%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16]), nil
}

// uuidV5 is RFC 4122's name-based UUID in the URL namespace.
func uuidV5(name string) [16]byte {
	ns := [16]byte{0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8}
	h := sha1.New()
	h.Write(ns[:])
	h.Write([]byte(name))
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = u[6]&0x0f | 0x50 // version 5
	u[8] = u[8]&0x3f | 0x80 // RFC 4122 variant
	return u
}
