package job

import (
	"fmt"
	"regexp"

	"gopkg.in/yaml.v3"
)

// testKinds are the keys that say what a test block is, in LAVA's order.
var testKinds = []string{"definitions", "interactive", "monitors", "services"}

// blockKind is the kind of a test block (its method): the first of
// testKinds it has, or "".
func blockKind(body *yaml.Node) string {
	for _, k := range testKinds {
		if get(body, k) != nil {
			return k
		}
	}
	return ""
}

// testSchema is the schema of a test block, chosen as LAVA chooses it: by
// definitions (with docker: the docker test shell), interactive, monitors or
// services, in that order. False: none of them ("invalid action").
func testSchema(body *yaml.Node) (schema, bool) {
	s := commonKeys(schema{"name": opt(regexStr(nameRE))})
	switch {
	case get(body, "definitions") != nil:
		s["definitions"] = req(definitionsCheck)
		if get(body, "docker") != nil {
			s["docker"] = req(dockerCheck("image"))
			s["downloads-namespace"] = opt(nonEmptyStr)
			s["disconnect_connection"] = opt(boolean)
		}
	case get(body, "interactive") != nil:
		s["interactive"] = req(interactiveCheck)
	case get(body, "monitors") != nil:
		s["monitors"] = req(monitorsCheck)
	case get(body, "services") != nil:
		s["services"] = req(servicesCheck)
	default:
		return nil, false
	}
	return s, true
}

// dockerImageRE is LAVA's docker image name format.
var dockerImageRE = regexp.MustCompile(`^[a-z0-9]+[a-z0-9._/:-]*[a-z0-9]+(:[a-zA-Z0-9_]+[a-zA-Z0-9._-]*)?$`)

func dockerImage(v *validator, n *yaml.Node, path string) {
	if !isStr(n) {
		v.errAt(n, path, "expected str")
		return
	}
	if !dockerImageRE.MatchString(resolve(n).Value) {
		v.errAt(n, path, "Invalid docker image name")
	}
}

// dockerCheck is LAVA's docker block (the container an action runs its
// commands in); imageKey names the image.
func dockerCheck(imageKey string) checker {
	return dict(schema{
		imageKey:         req(dockerImage),
		"local":          opt(boolean),
		"container_name": opt(notOptionOf("docker", nonEmptyStr)),
		"network_from":   opt(notOptionOf("docker", nonEmptyStr)),
		"login": opt(dict(schema{
			"registry": req(notOptionOf("docker", nonEmptyStr)),
			"user":     req(notOptionOf("docker", nonEmptyStr)),
			"password": req(scalarStr),
		})),
	})
}

// servicesCheck checks a test block's services: docker compose projects
// fetched from git or a url and started for the test (LAVA's test.service).
func servicesCheck(v *validator, n *yaml.Node, path string) {
	if !isSeq(n) {
		v.errAt(n, path, "expected a list")
		return
	}
	seen := map[string]bool{}
	for i, c := range resolve(n).Content {
		c = resolve(c)
		p := fmt.Sprintf("%s[%d]", path, i)
		s := schema{
			"from":    req(enum("git", "url")),
			"name":    req(regexStr(nameRE)),
			"path":    req(relPath("the repository")),
			"service": opt(notOptionOf("docker compose", nonEmptyStr)),
		}
		switch strOf(get(c, "from")) {
		case "git":
			s["repository"] = req(notOption(nonEmptyStr))
			s["branch"] = opt(notOption(nonEmptyStr))
			s["revision"] = opt(notOption(scalarStr))
			s["history"] = opt(boolean)
			s["recursive"] = opt(boolean)
		case "url":
			s["repository"] = req(urlValue(downloadSchemes...))
			s["compression"] = opt(compression)
			s["headers"] = opt(strMap)
		default:
			s["repository"] = req(anyValue)
		}
		if !v.mapping(c, p, s) {
			continue
		}
		if nm := get(c, "name"); isScalar(nm) {
			if seen[resolve(nm).Value] {
				v.errAt(nm, p+".name", "Test service names need to be unique.")
			}
			seen[resolve(nm).Value] = true
		}
	}
}

func definitionCheck(v *validator, n *yaml.Node, path string) {
	if !isMap(n) {
		v.errAt(n, path, "expected a dictionary")
		return
	}
	from := ""
	if f := get(n, "from"); isScalar(f) {
		from = resolve(f).Value
	}
	s := schema{
		"from":         req(enum("git", "url", "inline")),
		"path":         req(relPath("the repository")),
		"name":         req(regexStr(nameRE)),
		"skip_install": opt(list(enum("keys", "sources", "deps", "steps", "git-repos", "all"))),
		"lava-signal":  opt(enum("kmsg", "stdout")),
		"expected":     opt(list(scalarStr)),
		"parameters":   opt(dict(schema{"*": opt(anyValue)})),
		"params":       opt(dict(schema{"*": opt(anyValue)})),
	}
	switch from {
	case "git":
		s["repository"] = req(notOption(nonEmptyStr))
		s["branch"] = opt(notOption(nonEmptyStr))
		s["history"] = opt(boolean)
		s["revision"] = opt(notOption(scalarStr))
		s["recursive"] = opt(boolean)
		s["shallow"] = opt(boolean)
	case "url":
		s["repository"] = req(urlValue("http", "https", "file"))
		s["compression"] = opt(compression)
		s["strip-components"] = opt(intMin(0))
		s["headers"] = opt(strMap)
	case "inline":
		s["repository"] = req(testdefCheck)
	default:
		s["repository"] = req(anyValue)
	}
	v.mapping(n, path, s)
}

// testdefCheck checks an inline Lava-Test Test Definition (lax, as the dispatcher is:
// parse.pattern is accepted).
func testdefCheck(v *validator, n *yaml.Node, path string) {
	v.mapping(n, path, schema{
		"metadata": req(dict(schema{
			"format":      req(enum("Lava-Test Test Definition 1.0")),
			"name":        req(nonEmptyStr),
			"description": opt(scalarStr),
			"*":           opt(anyValue),
		})),
		"install":    opt(dict(schema{"*": opt(anyValue)})),
		"parameters": opt(dict(schema{"*": opt(anyValue)})),
		"params":     opt(dict(schema{"*": opt(anyValue)})),
		"parse":      opt(dict(schema{"pattern": opt(nonEmptyStr), "fixupdict": opt(strMap)})),
		"run":        opt(dict(schema{"steps": opt(list(anyValue))})),
		"expected":   opt(list(scalarStr)),
	})
}

func definitionsCheck(v *validator, n *yaml.Node, path string) {
	if !isSeq(n) {
		v.errAt(n, path, "expected a list")
		return
	}
	seen := map[string]bool{}
	for i, c := range resolve(n).Content {
		c = resolve(c)
		p := fmt.Sprintf("%s[%d]", path, i)
		definitionCheck(v, c, p)
		if nm := get(c, "name"); isScalar(nm) {
			name := resolve(nm).Value
			if name == "lava" {
				v.errAt(nm, p+".name", "'lava' is a reserved test definition name")
			}
			if seen[name] {
				v.errAt(nm, p+".name", "Test definition names need to be unique.")
			}
			seen[name] = true
		}
	}
}

func interactiveCheck(v *validator, n *yaml.Node, path string) {
	step := dict(schema{
		"command":         opt(anyValue),
		"delay":           opt(intRange(0, maxUnits("seconds"), timeoutWhy)),
		"name":            opt(regexStr(nameRE)),
		"wait_for_prompt": opt(boolean),
		"lava-send":       opt(anyValue),
		"lava-sync":       opt(anyValue),
		"lava-wait":       opt(anyValue),
		"lava-wait-all":   opt(anyValue),
		"successes":       opt(list(dict(schema{"message": req(nonEmptyStr)}))),
		"failures": opt(list(dict(schema{
			"message":   req(nonEmptyStr),
			"exception": opt(enum("InfrastructureError", "JobError", "TestError")),
			"error":     opt(scalarStr),
		}))),
	})
	list(dict(schema{
		"name":     req(regexStr(nameRE)),
		"prompts":  req(list(scalarStr)),
		"echo":     opt(enum("discard")),
		"expected": opt(list(scalarStr)),
		"script":   req(list(step)),
	}))(v, n, path)
}

func monitorsCheck(v *validator, n *yaml.Node, path string) {
	list(dict(schema{
		"name":      req(nonEmptyStr),
		"start":     req(nonEmptyStr),
		"end":       req(nonEmptyStr),
		"pattern":   req(nonEmptyStr),
		"fixupdict": opt(strMap),
		"expected":  opt(list(scalarStr)),
	}))(v, n, path)
}
