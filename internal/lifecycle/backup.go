package lifecycle

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "modernc.org/sqlite" // VACUUM INTO for the SQLite databases
)

// ManifestName is the backup's description, the archive's first file.
const ManifestName = "lore-backup.json"

// Manifest describes a backup.
type Manifest struct {
	Format  int       `json:"format"` // 1
	Created time.Time `json:"created"`
	Files   []string  `json:"files"`
}

// SnapshotSQLite writes a consistent copy of the SQLite database at src
// (the metadata, session recordings) to dst with VACUUM INTO, from a
// connection of its own, while the server goes on using it.
func SnapshotSQLite(ctx context.Context, src, dst string) error {
	db, err := sql.Open("sqlite", "file:"+src+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		return fmt.Errorf("snapshot %q: %w", src, err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, dst); err != nil {
		return fmt.Errorf("snapshot %q into %q: %w", src, dst, err)
	}
	return nil
}

// WriteArchive writes the files under dir, with the manifest first, as a
// gzip'd tar to w.
func WriteArchive(dir string, m Manifest, w io.Writer) error {
	gz := gzip.NewWriter(w)
	tw := tar.NewWriter(gz)
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		files = append(files, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		return fmt.Errorf("write backup: %w", err)
	}
	m.Files = files
	mb, _ := json.MarshalIndent(m, "", "  ")
	if err := tw.WriteHeader(&tar.Header{Name: ManifestName, Mode: 0o644, Size: int64(len(mb)), ModTime: m.Created}); err != nil {
		return fmt.Errorf("write backup: %w", err)
	}
	if _, err := tw.Write(mb); err != nil {
		return fmt.Errorf("write backup: %w", err)
	}
	for _, rel := range files {
		if err := addFile(tw, filepath.Join(dir, rel), rel); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("write backup: %w", err)
	}
	return gz.Close()
}

func addFile(tw *tar.Writer, path, name string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("write backup: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("write backup: %w", err)
	}
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: fi.Size(), ModTime: fi.ModTime()}); err != nil {
		return fmt.Errorf("write backup %s: %w", name, err)
	}
	if _, err := io.Copy(tw, f); err != nil {
		return fmt.Errorf("write backup %s: %w", name, err)
	}
	return nil
}

// Restore unpacks a backup archive into the data directory dir, which must
// not hold a Lore data directory already (meta.db) unless force. Names that
// would leave dir are refused. It returns the backup's manifest.
func Restore(r io.Reader, dir string, force bool) (Manifest, error) {
	var m Manifest
	if _, err := os.Stat(filepath.Join(dir, "meta.db")); err == nil && !force {
		return m, fmt.Errorf("restore into %q: it already holds Lore's data; restore into an empty directory (or pass --force to overwrite)", dir)
	}
	gz, err := gzip.NewReader(r)
	if err != nil {
		return m, fmt.Errorf("restore: not a Lore backup (gzip): %w", err)
	}
	tr := tar.NewReader(gz)
	first := true
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return m, fmt.Errorf("restore: read archive: %w", err)
		}
		if first {
			first = false
			if h.Name != ManifestName {
				return m, fmt.Errorf("restore: not a Lore backup: first file %q, want %q", h.Name, ManifestName)
			}
			if err := json.NewDecoder(io.LimitReader(tr, 1<<20)).Decode(&m); err != nil || m.Format != 1 {
				return m, fmt.Errorf("restore: bad manifest (format %d): %v", m.Format, err)
			}
			continue
		}
		name := filepath.FromSlash(h.Name)
		if h.Typeflag != tar.TypeReg || !filepath.IsLocal(name) || strings.HasPrefix(name, "..") {
			return m, fmt.Errorf("restore: refusing archive entry %q", h.Name)
		}
		dst := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return m, fmt.Errorf("restore %s: %w", h.Name, err)
		}
		f, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
		if err != nil {
			return m, fmt.Errorf("restore %s: %w", h.Name, err)
		}
		_, err = io.Copy(f, tr)
		if err == nil {
			err = f.Sync()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return m, fmt.Errorf("restore %s: %w", h.Name, err)
		}
	}
	if first {
		return m, errors.New("restore: empty archive")
	}
	return m, nil
}
