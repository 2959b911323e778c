package meta

import (
	"context"
	"errors"
	"testing"
)

// TestUserBySSO: the subject is the identity — linked once, it signs in
// the same user through email changes, never merges into the user of an
// email it is given, and an email's account linked to one subject is not
// opened by another; without provisioning a stranger is ErrNotFound.
func TestUserBySSO(t *testing.T) { engines(t, testUserBySSO) }

func testUserBySSO(t *testing.T, where string) {
	ctx := context.Background()
	s := openTest(t, where)
	const iss = "https://id.example.com"
	if _, err := s.UserBySSO(ctx, iss, "s-1", "ann@example.com", false); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a stranger without provisioning: %v", err)
	}
	in, err := s.UserBySSO(ctx, iss, "s-1", "ann@example.com", true)
	if err != nil || !in.Created || in.User.Email != "ann@example.com" || in.User.HasPassword {
		t.Fatalf("first sign-in: %+v %v", in, err)
	}
	ann := in.User.ID
	if in, err := s.UserBySSO(ctx, iss, "s-1", "ann@example.com", true); err != nil || in.Created || in.User.ID != ann || in.OldEmail != "" {
		t.Errorf("again: %+v %v", in, err)
	}
	if in, err := s.UserBySSO(ctx, iss, "s-1", "ann.lee@example.com", false); err != nil || in.User.ID != ann || in.User.Email != "ann.lee@example.com" || in.OldEmail != "ann@example.com" {
		t.Errorf("renamed at the provider: %+v %v", in, err)
	}
	bob, err := s.AddUser(ctx, "bob@example.com", "bob-password-1", false)
	if err != nil {
		t.Fatal(err)
	}
	if in, err := s.UserBySSO(ctx, iss, "s-1", "BOB@example.com", false); err != nil || in.User.ID != ann || in.User.Email != "ann.lee@example.com" {
		t.Errorf("given bob's email: %+v %v; want ann, unchanged", in, err)
	}
	if _, err := s.UserBySSO(ctx, iss, "s-2", "ann.lee@example.com", true); !errors.Is(err, ErrIdentityConflict) {
		t.Errorf("another subject with ann's email: %v", err)
	}
	// The same subject at another provider is another identity.
	if in, err := s.UserBySSO(ctx, "https://other.example.com", "s-1", "bob@example.com", false); err != nil || in.User.ID != bob.ID {
		t.Errorf("bob through another provider: %+v %v", in, err)
	}
	for _, bad := range [][3]string{{"", "s", "x@example.com"}, {iss, "", "x@example.com"}, {iss, "s-9", "not an email"}} {
		if _, err := s.UserBySSO(ctx, bad[0], bad[1], bad[2], true); err == nil {
			t.Errorf("UserBySSO%q worked", bad)
		}
	}
	if err := s.RemoveUser(ctx, ann); err != nil {
		t.Fatal(err)
	}
	if in, err := s.UserBySSO(ctx, iss, "s-1", "ann.lee@example.com", true); err != nil || !in.Created {
		t.Errorf("after the user was removed: %+v %v; want a new user", in, err)
	}
}
