// Lore's SDK as installed from npm (npm install LORE/sdk.tgz) and bundled:
// a page of its own (GET /npm) sends one event with it.
import * as lore from "@lore-dev/browser";

const cfg = window.SHOP;
lore.init(cfg.key, { host: cfg.lore, flushInterval: 200, autoPageviews: false });
lore.track("SDK From npm", { version: "0.1.0" });
