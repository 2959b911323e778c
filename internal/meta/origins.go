package meta

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
)

type cachedOrigins struct {
	list []string
	at   time.Time
}

// ParseOrigin checks an allowed origin: scheme://host[:port] with no path
// ("https://shop.example.com"), or with a leading wildcard label for every
// subdomain ("https://*.example.com"). It returns the origin lowercased.
func ParseOrigin(o string) (string, error) {
	o = strings.ToLower(strings.TrimRight(strings.TrimSpace(o), "/"))
	u, err := url.Parse(strings.Replace(o, "://*.", "://wildcard.", 1))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Path != "" || u.RawQuery != "" ||
		u.Fragment != "" || u.User != nil || strings.Contains(strings.TrimPrefix(o, u.Scheme+"://*."), "*") {
		return "", fmt.Errorf("allowed origin %q: want scheme://host[:port] like https://shop.example.com (or https://*.example.com), no path", o)
	}
	return o, nil
}

// OriginAllowed says whether a browser's Origin ("https://shop.example.com")
// is one of allowed (as ParseOrigin keeps them).
func OriginAllowed(allowed []string, origin string) bool {
	origin = strings.ToLower(origin)
	scheme, host, ok := strings.Cut(origin, "://")
	if !ok || host == "" {
		return false
	}
	for _, a := range allowed {
		if a == origin {
			return true
		}
		if as, suffix, ok := strings.Cut(a, "://*."); ok && as == scheme && strings.HasSuffix(host, "."+suffix) {
			return true
		}
	}
	return false
}

// AllowedOrigins lists the origins a project's browser keys are accepted
// from, sorted; none means any. It is remembered for keyCacheTTL (a change
// through this Store applies at once).
func (s *Store) AllowedOrigins(ctx context.Context, project int64) ([]string, error) {
	s.originsMu.Lock()
	c, ok := s.origins[project]
	s.originsMu.Unlock()
	if ok && time.Since(c.at) < keyCacheTTL {
		return c.list, nil
	}
	rows, err := s.db.QueryContext(ctx, `SELECT origin FROM allowed_origins WHERE project_id = ? ORDER BY origin`, project)
	if err != nil {
		return nil, fmt.Errorf("read allowed origins of project %d: %w", project, err)
	}
	defer rows.Close()
	list := []string{}
	for rows.Next() {
		var o string
		if err := rows.Scan(&o); err != nil {
			return nil, fmt.Errorf("read allowed origins of project %d: %w", project, err)
		}
		list = append(list, o)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read allowed origins of project %d: %w", project, err)
	}
	s.originsMu.Lock()
	s.origins[project] = cachedOrigins{list: list, at: time.Now()}
	s.originsMu.Unlock()
	return list, nil
}

// SetAllowedOrigins replaces a project's allowed origins (each checked by
// ParseOrigin); an empty list accepts browser keys from any origin.
func (s *Store) SetAllowedOrigins(ctx context.Context, project int64, origins []string) (out []string, err error) {
	err = s.retry(ctx, func() error {
		out, err = s.setAllowedOrigins(ctx, project, origins)
		return err
	})
	return out, err
}

// setAllowedOrigins is one attempt at SetAllowedOrigins.
func (s *Store) setAllowedOrigins(ctx context.Context, project int64, origins []string) ([]string, error) {
	if _, err := s.Project(ctx, project); err != nil {
		return nil, err
	}
	list := []string{}
	for _, o := range origins {
		p, err := ParseOrigin(o)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(list, p) {
			list = append(list, p)
		}
	}
	if len(list) > 100 {
		return nil, fmt.Errorf("%d allowed origins: at most 100", len(list))
	}
	slices.Sort(list)
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("set allowed origins of project %d: %w", project, err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM allowed_origins WHERE project_id = ?`, project); err != nil {
		return nil, fmt.Errorf("set allowed origins of project %d: %w", project, err)
	}
	for _, o := range list {
		if _, err := tx.ExecContext(ctx, `INSERT INTO allowed_origins (project_id, origin) VALUES (?, ?)`, project, o); err != nil {
			return nil, fmt.Errorf("set allowed origin %q of project %d: %w", o, project, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("set allowed origins of project %d: %w", project, err)
	}
	s.originsMu.Lock()
	delete(s.origins, project)
	s.originsMu.Unlock()
	return list, nil
}
