package config

import (
	"encoding"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Problem is one thing wrong with a policy file: where it is and what.
type Problem struct {
	File string
	Line int
	Col  int
	Path string // the YAML path, e.g. routes["GET /x"].scopes.any_of[0]
	Msg  string
}

func (p *Problem) Error() string {
	var b strings.Builder
	if p.File != "" {
		b.WriteString(p.File)
		b.WriteByte(':')
	}
	if p.Line > 0 {
		fmt.Fprintf(&b, "%d:%d:", p.Line, p.Col)
	}
	if b.Len() > 0 {
		b.WriteByte(' ')
	}
	if p.Path != "" {
		b.WriteString(p.Path)
		b.WriteString(": ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// nodeDecoder is implemented by types that decode themselves from a node
// (for shorthand forms).
type nodeDecoder interface {
	decodeNode(d *decoder, n *yaml.Node, path string)
}

// decoder walks a YAML node tree onto Go values strictly: unknown keys,
// duplicate keys and mistyped values become problems, and decoding goes on
// so that every problem is reported at once.
type decoder struct {
	file     string
	problems []*Problem
	nodes    map[string]*yaml.Node // the node each decoded path came from
}

// nodeAt returns the node of path or of its nearest decoded ancestor, so
// that problems found after decoding still point at a line.
func (d *decoder) nodeAt(path string) *yaml.Node {
	for path != "" {
		if n, ok := d.nodes[path]; ok {
			return n
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			break
		}
		path = path[:i]
	}
	return nil
}

func (d *decoder) addf(n *yaml.Node, path, format string, args ...any) {
	p := &Problem{File: d.file, Path: path, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		p.Line, p.Col = n.Line, n.Column
	}
	d.problems = append(d.problems, p)
}

var (
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
	nodeDecoderType     = reflect.TypeFor[nodeDecoder]()
)

func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string) {
	for n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			return
		}
		n = n.Content[0]
	}
	if d.nodes == nil {
		d.nodes = map[string]*yaml.Node{}
	}
	d.nodes[path] = n
	if n.Tag == "!!null" {
		// A key without a value keeps the zero value (or default), except
		// a section (a pointer to a struct), which is then present with its
		// defaults: "jwt:" configures the jwt authorizer, and "step_up:"
		// is checked like "step_up: {}" instead of being dropped.
		if v.Kind() == reflect.Pointer && v.IsNil() && v.Type().Elem().Kind() == reflect.Struct {
			v.Set(reflect.New(v.Type().Elem()))
			if nd, ok := v.Interface().(nodeDecoder); ok {
				nd.decodeNode(d, n, path)
			}
		}
		return
	}
	if v.CanAddr() {
		if pv := v.Addr(); pv.Type().Implements(nodeDecoderType) {
			pv.Interface().(nodeDecoder).decodeNode(d, n, path)
			return
		}
		if pv := v.Addr(); pv.Type().Implements(textUnmarshalerType) {
			if n.Kind != yaml.ScalarNode {
				d.addf(n, path, "want a single value, got a %s", kindName(n))
				return
			}
			if err := pv.Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(n.Value)); err != nil {
				d.addf(n, path, "%v", err)
			}
			return
		}
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		d.decode(n, v.Elem(), path)
	case reflect.Struct:
		d.decodeStruct(n, v, path)
	case reflect.Slice:
		if keyField(v.Type().Elem()) >= 0 {
			// Routes and usage plans are written as a mapping by name.
			if n.Kind != yaml.MappingNode {
				d.addf(n, path, "want a mapping, got a %s", kindName(n))
				return
			}
			d.decodeKeyedList(n, v, path)
			return
		}
		if n.Kind != yaml.SequenceNode {
			d.addf(n, path, "want a list, got a %s", kindName(n))
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, c := range n.Content {
			d.decode(c, s.Index(i), fmt.Sprintf("%s[%d]", path, i))
		}
		v.Set(s)
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			d.addf(n, path, "want a mapping, got a %s", kindName(n))
			return
		}
		m := reflect.MakeMapWithSize(v.Type(), len(n.Content)/2)
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			if seen[k.Value] {
				d.addf(k, path, "key %q appears twice", k.Value)
				continue
			}
			seen[k.Value] = true
			ev := reflect.New(v.Type().Elem()).Elem()
			d.decode(val, ev, fmt.Sprintf("%s[%q]", path, k.Value))
			m.SetMapIndex(reflect.ValueOf(k.Value).Convert(v.Type().Key()), ev)
		}
		v.Set(m)
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			d.addf(n, path, "want a string, got a %s", kindName(n))
			return
		}
		v.SetString(n.Value)
	case reflect.Bool:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
			d.addf(n, path, "want true or false, got %s", describeNode(n))
			return
		}
		v.SetBool(n.Value == "true" || n.Value == "True" || n.Value == "TRUE")
	case reflect.Int, reflect.Int64, reflect.Int32:
		i, err := strconv.ParseInt(n.Value, 0, 64)
		if n.Kind != yaml.ScalarNode || n.Tag != "!!int" || err != nil {
			d.addf(n, path, "want a whole number, got %s", describeNode(n))
			return
		}
		v.SetInt(i)
	case reflect.Float64:
		f, err := strconv.ParseFloat(n.Value, 64)
		if n.Kind != yaml.ScalarNode || (n.Tag != "!!int" && n.Tag != "!!float") || err != nil {
			d.addf(n, path, "want a number, got %s", describeNode(n))
			return
		}
		v.SetFloat(f)
	default:
		panic(fmt.Sprintf("config: cannot decode into %s", v.Type()))
	}
}

// fieldName returns the YAML key of a struct field, or "" when skipped.
func fieldName(f reflect.StructField) string {
	tag := f.Tag.Get("yaml")
	name, _, _ := strings.Cut(tag, ",")
	if name == "-" || !f.IsExported() {
		return ""
	}
	return name
}

// keyField returns the index of the field tagged `yaml:",key"` that holds a
// mapping key when a mapping decodes into a list of structs, or -1.
func keyField(t reflect.Type) int {
	if t.Kind() != reflect.Struct {
		return -1
	}
	for i := range t.NumField() {
		if t.Field(i).Tag.Get("yaml") == ",key" {
			return i
		}
	}
	return -1
}

func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.addf(n, path, "want a mapping, got a %s", kindName(n))
		return
	}
	t := v.Type()
	fields := map[string]int{}
	var known []string
	for i := range t.NumField() {
		if name := fieldName(t.Field(i)); name != "" {
			fields[name] = i
			known = append(known, name)
		}
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		fp := join(path, k.Value)
		if seen[k.Value] {
			d.addf(k, fp, "key appears twice")
			continue
		}
		seen[k.Value] = true
		idx, ok := fields[k.Value]
		if !ok {
			slices.Sort(known)
			d.addf(k, fp, "unknown key %q (known keys: %s)", k.Value, strings.Join(known, ", "))
			continue
		}
		d.decode(val, v.Field(idx), fp)
	}
}

// decodeKeyedList decodes a mapping into a list of structs, keeping the
// order of the file; each mapping key goes into the `yaml:",key"` field.
func (d *decoder) decodeKeyedList(n *yaml.Node, v reflect.Value, path string) {
	et := v.Type().Elem()
	kf := keyField(et)
	s := reflect.MakeSlice(v.Type(), 0, len(n.Content)/2)
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		ep := fmt.Sprintf("%s[%q]", path, k.Value)
		if seen[k.Value] {
			d.addf(k, ep, "listed twice")
			continue
		}
		seen[k.Value] = true
		d.nodes[ep] = k
		ev := reflect.New(et).Elem()
		ev.Field(kf).SetString(k.Value)
		if val.Tag != "!!null" {
			d.decodeStruct(val, ev, ep)
		}
		s = reflect.Append(s, ev)
	}
	v.Set(s)
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	case yaml.ScalarNode:
		return "single value"
	}
	return "node"
}

func describeNode(n *yaml.Node) string {
	if n.Kind == yaml.ScalarNode {
		return strconv.Quote(n.Value)
	}
	return "a " + kindName(n)
}

func (d *decoder) decodeInto(n *yaml.Node, ptr any, path string) {
	d.decode(n, reflect.ValueOf(ptr).Elem(), path)
}
