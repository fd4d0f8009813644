// Package k8s holds Cầu's Kubernetes manifests (kustomize base and
// overlays). It is a module of its own so that the server's module does
// not depend on kustomize and the Kubernetes API types; `make test` runs it.
package k8s

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// build renders an overlay as `kubectl apply -k` would.
func build(t *testing.T, dir string) [][]byte {
	t.Helper()
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	res, err := k.Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		t.Fatalf("kustomize build %s: %v", dir, err)
	}
	out, err := res.AsYaml()
	if err != nil {
		t.Fatal(err)
	}
	var docs [][]byte
	for _, d := range bytes.Split(out, []byte("\n---\n")) {
		if len(bytes.TrimSpace(d)) > 0 {
			docs = append(docs, d)
		}
	}
	return docs
}

// decode reads a manifest strictly into its Kubernetes type: a misspelt or
// misplaced field fails here instead of being dropped by the API server.
func decode(t *testing.T, doc []byte) any {
	t.Helper()
	var head struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
	}
	if err := yaml.Unmarshal(doc, &head); err != nil {
		t.Fatal(err)
	}
	var obj any
	switch head.APIVersion + " " + head.Kind {
	case "apps/v1 Deployment":
		obj = &appsv1.Deployment{}
	case "apps/v1 StatefulSet":
		obj = &appsv1.StatefulSet{}
	case "v1 Service":
		obj = &corev1.Service{}
	case "v1 ConfigMap":
		obj = &corev1.ConfigMap{}
	case "v1 Secret":
		obj = &corev1.Secret{}
	case "v1 PersistentVolumeClaim":
		obj = &corev1.PersistentVolumeClaim{}
	case "v1 Namespace":
		obj = &corev1.Namespace{}
	case "networking.k8s.io/v1 Ingress":
		obj = &networkingv1.Ingress{}
	case "policy/v1 PodDisruptionBudget":
		obj = &policyv1.PodDisruptionBudget{}
	default:
		t.Fatalf("unexpected kind %s %s", head.APIVersion, head.Kind)
	}
	if err := yaml.UnmarshalStrict(doc, obj); err != nil {
		t.Fatalf("%s: %v\n%s", head.Kind, err, doc)
	}
	return obj
}

// configVariables are the variables internal/config reads.
func configVariables(t *testing.T) map[string]bool {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "..", "internal", "config", "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]bool{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range regexp.MustCompile(`"((?:CAU|DATABASE|REDIS)_[A-Z0-9_]+)"`).FindAllStringSubmatch(string(src), -1) {
			vars[m[1]] = true
		}
	}
	if len(vars) < 30 {
		t.Fatalf("found only %d variables in config.go", len(vars))
	}
	return vars
}

func TestOverlaysRenderIntoValidManifests(t *testing.T) {
	vars := configVariables(t)
	for _, overlay := range []string{"trial", "production", "multinode"} {
		t.Run(overlay, func(t *testing.T) {
			kinds := map[string]int{}
			var serve *appsv1.Deployment
			var media []*appsv1.Deployment // the pods that carry media: CAU_ROLES unset or with sfu
			configMaps := map[string]bool{}
			for _, doc := range build(t, filepath.Join("overlays", overlay)) {
				switch o := decode(t, doc).(type) {
				case *appsv1.Deployment:
					kinds["Deployment"]++
					if o.Name == "cau-serve" {
						serve = o
					}
					if len(o.Spec.Template.Spec.Containers) > 0 && slices.Equal(o.Spec.Template.Spec.Containers[0].Args, []string{"serve"}) {
						roles := "api,sfu,worker"
						for _, e := range o.Spec.Template.Spec.Containers[0].Env {
							if e.Name == "CAU_ROLES" {
								roles = e.Value
							}
						}
						if strings.Contains(roles, "sfu") {
							media = append(media, o)
						}
					}
					for _, c := range o.Spec.Template.Spec.Containers {
						if c.SecurityContext == nil || c.SecurityContext.ReadOnlyRootFilesystem == nil || !*c.SecurityContext.ReadOnlyRootFilesystem {
							if strings.HasPrefix(o.Name, "cau-") && o.Name != "cau-redis" {
								t.Errorf("%s/%s: root filesystem not read-only", o.Name, c.Name)
							}
						}
						for _, e := range c.Env {
							if strings.HasPrefix(e.Name, "CAU_") && !vars[e.Name] {
								t.Errorf("%s sets %s, which the server does not read", o.Name, e.Name)
							}
						}
					}
				case *corev1.ConfigMap:
					kinds["ConfigMap"]++
					configMaps[o.Name] = true
					for k := range o.Data {
						if !vars[k] {
							t.Errorf("ConfigMap %s: %s is not a variable the server reads", o.Name, k)
						}
					}
				case *corev1.Secret:
					kinds["Secret"]++
					if strings.HasPrefix(o.Name, "cau-postgres") {
						break // the database image's own variables
					}
					for k := range o.Data {
						if !vars[k] {
							t.Errorf("Secret %s: %s is not a variable the server reads", o.Name, k)
						}
					}
				case *policyv1.PodDisruptionBudget:
					kinds["PodDisruptionBudget"]++
				case *networkingv1.Ingress:
					kinds["Ingress"]++
				}
			}
			if kinds["Deployment"] < 2 || kinds["PodDisruptionBudget"] != 2 || kinds["Ingress"] != 1 || kinds["ConfigMap"] != 1 {
				t.Errorf("rendered %v", kinds)
			}
			if serve == nil {
				t.Fatal("no cau-serve Deployment")
			}
			if len(media) == 0 {
				t.Fatal("no Deployment carries media (CAU_ROLES with sfu)")
			}
			for _, d := range media {
				spec := d.Spec.Template.Spec
				c := spec.Containers[0]
				if !spec.HostNetwork || c.ReadinessProbe == nil || c.ReadinessProbe.HTTPGet.Path != "/readyz" ||
					c.LivenessProbe == nil || c.LivenessProbe.HTTPGet.Path != "/healthz" {
					t.Errorf("%s: hostNetwork %v, probes %+v %+v", d.Name, spec.HostNetwork, c.ReadinessProbe, c.LivenessProbe)
				}
				var hostIP bool
				for _, e := range c.Env {
					hostIP = hostIP || (e.Name == "CAU_RTC_IPS" && e.ValueFrom != nil && e.ValueFrom.FieldRef.FieldPath == "status.hostIP")
				}
				if !hostIP {
					t.Errorf("%s does not advertise the node's address (CAU_RTC_IPS from status.hostIP)", d.Name)
				}
			}
			c := serve.Spec.Template.Spec.Containers[0]
			for _, ef := range c.EnvFrom {
				if ef.ConfigMapRef != nil && !configMaps[ef.ConfigMapRef.Name] {
					t.Errorf("cau-serve reads ConfigMap %s, which is not rendered (kustomize's hash suffix not applied?)", ef.ConfigMapRef.Name)
				}
			}
		})
	}
}
