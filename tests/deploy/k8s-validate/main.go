// Command k8s-validate checks Kubernetes manifests and a Helm chart against the Kubernetes API
// types, strictly: every document must decode into the Go type of its apiVersion/kind with no
// unknown or duplicate field, and its names and labels must be valid. The chart is linted and
// rendered with Helm's own library (helm lint, helm template).
//
// Usage:
//
//	k8s-validate manifest FILE...                        validate YAML files (multi-document)
//	k8s-validate chart DIR [--set k=v]... [--namespace NS] [--release NAME]
//	                                                     lint and render the chart, validate the output
//
// Output is one JSON document on stdout: {"documents": [{"source", "index", "apiVersion",
// "kind", "name", "namespace", "object"}], "lint": [...], "errors": [...]}. The exit code is 1
// when anything failed.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"sort"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	secretsstorev1 "sigs.k8s.io/secrets-store-csi-driver/apis/v1"
	"sigs.k8s.io/yaml"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/releaseutil"
	"helm.sh/helm/v3/pkg/strvals"
)

// kinds maps apiVersion/kind to a constructor of its Go type. A kind not listed is an error:
// every manifest this project ships must be covered by a strict schema.
var kinds = map[string]func() any{
	"v1/Pod":            func() any { return &corev1.Pod{} },
	"v1/ServiceAccount": func() any { return &corev1.ServiceAccount{} },
	"v1/Secret":         func() any { return &corev1.Secret{} },
	"v1/ConfigMap":      func() any { return &corev1.ConfigMap{} },
	"v1/Namespace":      func() any { return &corev1.Namespace{} },
	"v1/Service":        func() any { return &corev1.Service{} },
	"apps/v1/DaemonSet": func() any { return &appsv1.DaemonSet{} },
	"apps/v1/Deployment": func() any {
		return &appsv1.Deployment{}
	},
	"rbac.authorization.k8s.io/v1/Role":               func() any { return &rbacv1.Role{} },
	"rbac.authorization.k8s.io/v1/RoleBinding":        func() any { return &rbacv1.RoleBinding{} },
	"rbac.authorization.k8s.io/v1/ClusterRole":        func() any { return &rbacv1.ClusterRole{} },
	"rbac.authorization.k8s.io/v1/ClusterRoleBinding": func() any { return &rbacv1.ClusterRoleBinding{} },
	"secrets-store.csi.x-k8s.io/v1/SecretProviderClass": func() any {
		return &secretsstorev1.SecretProviderClass{}
	},
}

type document struct {
	Source     string `json:"source"`
	Index      int    `json:"index"`
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Name       string `json:"name"`
	Namespace  string `json:"namespace,omitempty"`
	Object     any    `json:"object"`
}

type lintMessage struct {
	Severity string `json:"severity"`
	Path     string `json:"path"`
	Message  string `json:"message"`
}

type report struct {
	Documents []document    `json:"documents"`
	Lint      []lintMessage `json:"lint"`
	Errors    []string      `json:"errors"`
}

func main() {
	rep := report{Documents: []document{}, Lint: []lintMessage{}, Errors: []string{}}
	if len(os.Args) < 3 {
		rep.Errors = append(rep.Errors, "usage: k8s-validate manifest FILE... | chart DIR [--set k=v]...")
	} else {
		switch os.Args[1] {
		case "manifest":
			for _, file := range os.Args[2:] {
				data, err := os.ReadFile(file)
				if err != nil {
					rep.Errors = append(rep.Errors, err.Error())
					continue
				}
				validateStream(&rep, file, data)
			}
		case "chart":
			runChart(&rep, os.Args[2], os.Args[3:])
		default:
			rep.Errors = append(rep.Errors, "unknown command "+os.Args[1])
		}
	}
	out := json.NewEncoder(os.Stdout)
	out.SetIndent("", " ")
	if err := out.Encode(rep); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if len(rep.Errors) > 0 {
		os.Exit(1)
	}
}

// runChart lints the chart and renders it as `helm template` does, then validates every
// rendered document.
func runChart(rep *report, dir string, args []string) {
	values := map[string]any{}
	namespace, release := "kube-system", "csi"
	for i := 0; i < len(args); i++ {
		next := func() string {
			i++
			if i >= len(args) {
				rep.Errors = append(rep.Errors, "missing value after "+args[i-1])
				return ""
			}
			return args[i]
		}
		switch args[i] {
		case "--set":
			if err := strvals.ParseInto(next(), values); err != nil {
				rep.Errors = append(rep.Errors, "--set: "+err.Error())
			}
		case "--namespace":
			namespace = next()
		case "--release":
			release = next()
		default:
			rep.Errors = append(rep.Errors, "unknown argument "+args[i])
		}
	}
	if len(rep.Errors) > 0 {
		return
	}

	lint := action.NewLint()
	lint.Strict = true
	lint.Namespace = namespace
	result := lint.Run([]string{dir}, values)
	for _, msg := range result.Messages {
		rep.Lint = append(rep.Lint, lintMessage{Severity: severity(msg.Severity), Path: msg.Path, Message: msg.Err.Error()})
	}
	for _, err := range result.Errors {
		rep.Errors = append(rep.Errors, "helm lint: "+err.Error())
	}

	chart, err := loader.Load(dir)
	if err != nil {
		rep.Errors = append(rep.Errors, "load chart: "+err.Error())
		return
	}
	install := action.NewInstall(&action.Configuration{})
	install.DryRun = true
	install.ClientOnly = true
	install.Replace = true
	install.IncludeCRDs = true
	install.ReleaseName = release
	install.Namespace = namespace
	install.KubeVersion = &chartutil.KubeVersion{Version: "v1.33.0", Major: "1", Minor: "33"}
	rel, err := install.Run(chart, values)
	if err != nil {
		rep.Errors = append(rep.Errors, "helm template: "+err.Error())
		return
	}
	manifests := releaseutil.SplitManifests(rel.Manifest)
	keys := make([]string, 0, len(manifests))
	for key := range manifests {
		keys = append(keys, key)
	}
	sort.Sort(releaseutil.BySplitManifestsOrder(keys))
	for _, key := range keys {
		source := sourceOf(manifests[key])
		validateStream(rep, source, []byte(manifests[key]))
	}
}

// sourceOf returns the template path from Helm's "# Source: …" comment.
func sourceOf(manifest string) string {
	for _, line := range strings.Split(manifest, "\n") {
		if strings.HasPrefix(line, "# Source: ") {
			return strings.TrimPrefix(line, "# Source: ")
		}
	}
	return "(rendered)"
}

func severity(s int) string {
	switch s {
	case 1:
		return "INFO"
	case 2:
		return "WARNING"
	case 4:
		return "ERROR"
	}
	return fmt.Sprintf("SEVERITY%d", s)
}

// validateStream decodes every YAML document of data strictly into its Go type.
func validateStream(rep *report, source string, data []byte) {
	reader := utilyaml.NewYAMLReader(bufioReader(data))
	for index := 0; ; index++ {
		raw, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			rep.Errors = append(rep.Errors, fmt.Sprintf("%s: %v", source, err))
			return
		}
		if len(bytes.TrimSpace(stripComments(raw))) == 0 {
			index--
			continue
		}
		doc, problems := validateDocument(source, index, raw)
		rep.Errors = append(rep.Errors, problems...)
		if doc != nil {
			rep.Documents = append(rep.Documents, *doc)
		}
	}
}

func validateDocument(source string, index int, raw []byte) (*document, []string) {
	where := fmt.Sprintf("%s[%d]", source, index)
	var meta metav1.TypeMeta
	if err := yaml.Unmarshal(raw, &meta); err != nil {
		return nil, []string{fmt.Sprintf("%s: %v", where, err)}
	}
	key := meta.APIVersion + "/" + meta.Kind
	construct, ok := kinds[key]
	if !ok {
		return nil, []string{fmt.Sprintf("%s: no schema for apiVersion %q kind %q", where, meta.APIVersion, meta.Kind)}
	}
	object := construct()
	if err := yaml.UnmarshalStrict(raw, object); err != nil {
		return nil, []string{fmt.Sprintf("%s (%s): %v", where, meta.Kind, err)}
	}
	objectMeta := reflect.ValueOf(object).Elem().FieldByName("ObjectMeta").Interface().(metav1.ObjectMeta)
	where = fmt.Sprintf("%s (%s %s)", where, meta.Kind, objectMeta.Name)
	problems := checkMeta(where, objectMeta)
	problems = append(problems, checkObject(where, object)...)
	return &document{
		Source:     source,
		Index:      index,
		APIVersion: meta.APIVersion,
		Kind:       meta.Kind,
		Name:       objectMeta.Name,
		Namespace:  objectMeta.Namespace,
		Object:     object,
	}, problems
}

// checkMeta applies the API server's rules for names, namespaces, labels and annotations.
func checkMeta(where string, meta metav1.ObjectMeta) []string {
	var problems []string
	add := func(field string, errs []string) {
		for _, e := range errs {
			problems = append(problems, fmt.Sprintf("%s: %s: %s", where, field, e))
		}
	}
	if meta.Name == "" {
		problems = append(problems, where+": metadata.name is required")
	} else {
		add("metadata.name", validation.IsDNS1123Subdomain(meta.Name))
	}
	if meta.Namespace != "" {
		add("metadata.namespace", validation.IsDNS1123Label(meta.Namespace))
	}
	for k, v := range meta.Labels {
		add("metadata.labels key "+k, validation.IsQualifiedName(k))
		add("metadata.labels value "+v, validation.IsValidLabelValue(v))
	}
	for k := range meta.Annotations {
		add("metadata.annotations key "+k, validation.IsQualifiedName(strings.ToLower(k)))
	}
	return problems
}

// checkObject applies a few of the API server's semantic rules that strict decoding alone
// does not: container and volume names, ports, probe ports, selector/label agreement.
func checkObject(where string, object any) []string {
	var problems []string
	switch o := object.(type) {
	case *appsv1.DaemonSet:
		problems = append(problems, checkSelector(where, o.Spec.Selector, o.Spec.Template.Labels)...)
		problems = append(problems, checkPodSpec(where+" spec.template.spec", &o.Spec.Template.Spec)...)
	case *appsv1.Deployment:
		problems = append(problems, checkSelector(where, o.Spec.Selector, o.Spec.Template.Labels)...)
		problems = append(problems, checkPodSpec(where+" spec.template.spec", &o.Spec.Template.Spec)...)
	case *corev1.Pod:
		problems = append(problems, checkPodSpec(where+" spec", &o.Spec)...)
	case *secretsstorev1.SecretProviderClass:
		if o.Spec.Provider == "" {
			problems = append(problems, where+": spec.provider is required")
		}
	}
	return problems
}

func checkSelector(where string, selector *metav1.LabelSelector, labels map[string]string) []string {
	if selector == nil {
		return []string{where + ": spec.selector is required"}
	}
	for k, v := range selector.MatchLabels {
		if labels[k] != v {
			return []string{fmt.Sprintf("%s: selector %s=%s does not match the template labels", where, k, v)}
		}
	}
	return nil
}

func checkPodSpec(where string, spec *corev1.PodSpec) []string {
	var problems []string
	volumes := map[string]bool{}
	for _, v := range spec.Volumes {
		for _, e := range validation.IsDNS1123Label(v.Name) {
			problems = append(problems, fmt.Sprintf("%s: volume %q: %s", where, v.Name, e))
		}
		volumes[v.Name] = true
	}
	if len(spec.Containers) == 0 {
		problems = append(problems, where+": at least one container is required")
	}
	for _, c := range append(append([]corev1.Container{}, spec.InitContainers...), spec.Containers...) {
		cw := fmt.Sprintf("%s container %q", where, c.Name)
		for _, e := range validation.IsDNS1123Label(c.Name) {
			problems = append(problems, cw+": name: "+e)
		}
		if c.Image == "" {
			problems = append(problems, cw+": image is required")
		}
		ports := map[string]bool{}
		for _, p := range c.Ports {
			for _, e := range validation.IsValidPortNum(int(p.ContainerPort)) {
				problems = append(problems, fmt.Sprintf("%s: port %d: %s", cw, p.ContainerPort, e))
			}
			if p.Name != "" {
				for _, e := range validation.IsValidPortName(p.Name) {
					problems = append(problems, fmt.Sprintf("%s: port name %q: %s", cw, p.Name, e))
				}
				ports[p.Name] = true
			}
		}
		for _, m := range c.VolumeMounts {
			if !volumes[m.Name] {
				problems = append(problems, fmt.Sprintf("%s: volumeMount %q has no volume", cw, m.Name))
			}
		}
		for _, probe := range []*corev1.Probe{c.LivenessProbe, c.ReadinessProbe, c.StartupProbe} {
			if probe == nil || probe.HTTPGet == nil {
				continue
			}
			port := probe.HTTPGet.Port
			if port.IntValue() == 0 && !ports[port.String()] {
				problems = append(problems, fmt.Sprintf("%s: probe port %q is neither a number nor a named port", cw, port.String()))
			} else if port.IntValue() != 0 {
				for _, e := range validation.IsValidPortNum(port.IntValue()) {
					problems = append(problems, fmt.Sprintf("%s: probe port: %s", cw, e))
				}
			}
			if !strings.HasPrefix(probe.HTTPGet.Path, "/") {
				problems = append(problems, fmt.Sprintf("%s: probe path %q must start with /", cw, probe.HTTPGet.Path))
			}
		}
		for name, q := range c.Resources.Limits {
			if request, ok := c.Resources.Requests[name]; ok && request.Cmp(q) > 0 {
				problems = append(problems, fmt.Sprintf("%s: %s request %s exceeds limit %s", cw, name, request.String(), q.String()))
			}
		}
	}
	_ = resource.Quantity{}
	return problems
}

func stripComments(raw []byte) []byte {
	var out [][]byte
	for _, line := range bytes.Split(raw, []byte("\n")) {
		if bytes.HasPrefix(bytes.TrimSpace(line), []byte("#")) {
			continue
		}
		out = append(out, line)
	}
	return bytes.Join(out, []byte("\n"))
}
