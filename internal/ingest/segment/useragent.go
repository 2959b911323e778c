package segment

import "strings"

// ParseUserAgent names the browser, operating system and device type
// ("desktop", "mobile", "tablet", "bot") of a User-Agent header, from the
// tokens browsers have sent for years; "" when unknown. Order matters:
// Edge and Opera also say "Chrome", Chrome also says "Safari".
func ParseUserAgent(ua string) (browser, os, device string) {
	if ua == "" {
		return "", "", ""
	}
	l := strings.ToLower(ua)
	has := func(s string) bool { return strings.Contains(l, s) }
	switch {
	case has("bot") || has("crawler") || has("spider") || has("headlesschrome") && has("lighthouse"):
		browser = "Bot"
	case has("edg/") || has("edga/") || has("edgios/"):
		browser = "Edge"
	case has("opr/") || has("opera"):
		browser = "Opera"
	case has("samsungbrowser"):
		browser = "Samsung Internet"
	case has("firefox/") || has("fxios/"):
		browser = "Firefox"
	case has("headlesschrome"):
		browser = "Headless Chrome"
	case has("chrome/") || has("crios/") || has("chromium/"):
		browser = "Chrome"
	case has("safari/") && has("version/"):
		browser = "Safari"
	case has("msie") || has("trident/"):
		browser = "Internet Explorer"
	case has("curl/"):
		browser = "curl"
	}
	switch {
	case has("android"):
		os = "Android"
	case has("iphone") || has("ipad") || has("ipod"):
		os = "iOS"
	case has("windows"):
		os = "Windows"
	case has("mac os x") || has("macintosh"):
		os = "macOS"
	case has("cros"):
		os = "ChromeOS"
	case has("linux"):
		os = "Linux"
	}
	switch {
	case browser == "Bot":
		device = "bot"
	case has("ipad") || has("tablet") || has("android") && !has("mobile"):
		device = "tablet"
	case has("mobi") || has("iphone") || has("ipod"):
		device = "mobile"
	case os != "":
		device = "desktop"
	}
	return browser, os, device
}
