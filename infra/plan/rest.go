package plan

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/portcullis-authz/portcullis/shared/authz"
	"github.com/portcullis-authz/portcullis/shared/config"
)

// Resource is one REST API resource (a path) with its methods.
type Resource struct {
	// Part is the last path segment as API Gateway writes it ("orders",
	// "{id}", "{proxy+}"); "" for the root.
	Part string
	// Path is the full path ("/orders/{id}"; "/" for the root).
	Path     string
	Children []*Resource
	Methods  []*Method
}

// Method is one REST method and the route it serves.
type Method struct {
	// HTTPMethod is GET, POST, ..., or ANY.
	HTTPMethod string
	// Route is the policy route key it comes from.
	Route string
	// Authorizer is "jwt", "apikey", or "" for a public route.
	Authorizer string
	// PathParams are the path parameters the method declares
	// ("method.request.path.<name>"), so request validation checks them.
	PathParams []string
}

// Walk calls fn for r and every resource below it, parents first.
func (r *Resource) Walk(fn func(*Resource)) {
	if r == nil {
		return
	}
	fn(r)
	for _, c := range r.Children {
		c.Walk(fn)
	}
}

func (r *Resource) child(part string) *Resource {
	for _, c := range r.Children {
		if c.Part == part {
			return c
		}
	}
	path := r.Path + "/" + part
	if r.Path == "/" {
		path = "/" + part
	}
	c := &Resource{Part: part, Path: path}
	r.Children = append(r.Children, c)
	return c
}

// buildREST makes the REST resource tree from the policy's routes.
// WebSocket route keys are left out with a note; $default becomes a
// catch-all (ANY on / and on /{proxy+}), as on an HTTP API.
func buildREST(f *config.File) (*Resource, []string, error) {
	root := &Resource{Path: "/"}
	var notes []string
	var errs []error
	add := func(r config.Route, method string, segs []authz.Segment) {
		res := root
		var params []string
		for _, s := range segs {
			part := s.Text
			switch {
			case s.Greedy:
				part = "{" + s.Text + "+}"
				params = append(params, s.Text)
			case s.Param:
				part = "{" + s.Text + "}"
				params = append(params, s.Text)
			}
			res = res.child(part)
		}
		for _, m := range res.Methods {
			if m.HTTPMethod == method {
				errs = append(errs, fmt.Errorf("%w: routes %q and %q are the same REST method %s %s", ErrRoutes, m.Route, r.Key, method, res.Path))
				return
			}
		}
		auth := r.Authorizer
		if auth == config.AuthorizerNone {
			auth = ""
		}
		res.Methods = append(res.Methods, &Method{HTTPMethod: method, Route: r.Key, Authorizer: auth, PathParams: params})
	}
	for _, r := range f.Routes {
		k, err := authz.ParseRouteKey(r.Key)
		if err != nil {
			errs = append(errs, fmt.Errorf("%w: %w", ErrRoutes, err))
			continue
		}
		switch k.Special() {
		case "":
			add(r, k.Method(), k.Segments())
		case authz.RouteDefault:
			add(r, "ANY", nil)
			add(r, "ANY", []authz.Segment{{Text: "proxy", Greedy: true}})
		default:
			notes = append(notes, fmt.Sprintf("route %q is a WebSocket route: this stack deploys no WebSocket API, so it is left out", r.Key))
		}
	}
	if f.Settings.UnlistedRoutes == "authenticated" && !slices.ContainsFunc(f.Routes, func(r config.Route) bool { return r.Key == authz.RouteDefault }) {
		notes = append(notes, "settings.unlisted_routes is authenticated, but API Gateway answers a path it has no resource for itself (404) without calling an authorizer: add a $default route to reach the authorizer for unlisted paths")
	}
	// API Gateway allows one variable path part ({id} or {proxy+}) per
	// level: "/orders/{id}" and "/orders/{orderId}/items" cannot coexist.
	root.Walk(func(res *Resource) {
		var vars []string
		for _, c := range res.Children {
			if strings.HasPrefix(c.Part, "{") {
				vars = append(vars, c.Part)
			}
		}
		if len(vars) > 1 {
			errs = append(errs, fmt.Errorf("%w: under %s the routes use the path parameters %s; API Gateway allows one variable path part per level, so name the parameter the same in every route",
				ErrRoutes, res.Path, strings.Join(vars, " and ")))
		}
	})
	if len(errs) > 0 {
		return nil, notes, errors.Join(errs...)
	}
	return root, notes, nil
}

// HTTPRoute is one HTTP API route.
type HTTPRoute struct {
	// Key is the route key as the policy writes it ("GET /orders/{id}",
	// "$default").
	Key string
	// Method and Path split Key; both empty for $default.
	Method, Path string
	// Authorizer is "jwt" or "" for a public route.
	Authorizer string
}

// buildHTTP lists the HTTP API's routes: the JWT authorizer's and the
// public ones. API-key routes need usage plans, which HTTP APIs lack, and
// WebSocket routes need a WebSocket API: both are left out with a note.
func buildHTTP(f *config.File) ([]HTTPRoute, []string) {
	out := []HTTPRoute{}
	var notes []string
	for _, r := range f.Routes {
		k, err := authz.ParseRouteKey(r.Key)
		if err != nil {
			continue // reported by buildREST
		}
		switch {
		case k.Special() != "" && k.Special() != authz.RouteDefault:
			continue // noted by buildREST
		case r.Authorizer == config.AuthorizerAPIKey:
			notes = append(notes, fmt.Sprintf("route %q uses the apikey authorizer: HTTP APIs have no usage plans, so it is on the REST API only", r.Key))
			continue
		}
		hr := HTTPRoute{Key: r.Key}
		if k.Special() == "" {
			hr.Method, hr.Path, _ = strings.Cut(r.Key, " ")
		}
		if r.Authorizer == config.AuthorizerJWT {
			hr.Authorizer = config.AuthorizerJWT
		}
		out = append(out, hr)
	}
	return out, notes
}
