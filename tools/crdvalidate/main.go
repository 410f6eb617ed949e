// crdvalidate checks CustomResourceDefinition files with the API server's own validation of a
// CRD create: structural schema rules, defaults, list types, and every x-kubernetes-validations
// rule compiled and costed as the API server does. It prints one line per problem ("<file>:
// <problem>") and exits 1 when there is any; files holding other kinds are an error too.
package main

import (
	"context"
	"fmt"
	"os"

	apiextensions "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/validation"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"
)

func main() {
	scheme := runtime.NewScheme()
	if err := apiextensions.AddToScheme(scheme); err != nil {
		panic(err)
	}
	if err := apiextensionsv1.AddToScheme(scheme); err != nil {
		panic(err)
	}
	problems := 0
	for _, path := range os.Args[1:] {
		for _, problem := range check(scheme, path) {
			fmt.Printf("%s: %s\n", path, problem)
			problems++
		}
	}
	if problems > 0 {
		os.Exit(1)
	}
}

func check(scheme *runtime.Scheme, path string) []string {
	data, err := os.ReadFile(path)
	if err != nil {
		return []string{err.Error()}
	}
	var crd apiextensionsv1.CustomResourceDefinition
	if err := yaml.UnmarshalStrict(data, &crd); err != nil {
		return []string{err.Error()}
	}
	if crd.Kind != "CustomResourceDefinition" {
		return []string{fmt.Sprintf("kind %q is no CustomResourceDefinition", crd.Kind)}
	}
	// What the API server does to a v1 object before validating it: defaults, then the internal form.
	apiextensionsv1.SetObjectDefaults_CustomResourceDefinition(&crd)
	var internal apiextensions.CustomResourceDefinition
	if err := scheme.Convert(&crd, &internal, nil); err != nil {
		return []string{err.Error()}
	}
	var found []string
	for _, problem := range validation.ValidateCustomResourceDefinition(context.Background(), &internal) {
		found = append(found, problem.Error())
	}
	return found
}
