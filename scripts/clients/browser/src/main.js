// The shop's front end as a user bundles it (esbuild --bundle --minify
// --sourcemap): Sentry's browser SDK (tracing, logs, replay), posthog-js
// (its full build, extensions included) and Segment's analytics-next,
// every client unmodified, all pointed at Lore. Lore's SDK is loaded after
// it from Lore's /sdk.js (window.lore): Sentry initialises first, so Lore's
// SDK sends through Sentry's instrumented fetch, with sentry-trace and
// baggage headers.
import * as Sentry from "@sentry/browser";
import posthog from "posthog-js/dist/module.full";
import { AnalyticsBrowser } from "@segment/analytics-next";
import { computeTotal } from "./orders.js";

const cfg = window.SHOP; // { lore, key, release, user }
const loreURL = new URL(cfg.lore);

Sentry.init({
  dsn: `${loreURL.protocol}//${cfg.key}@${loreURL.host}/1`,
  release: cfg.release,
  environment: "test",
  integrations: [Sentry.browserTracingIntegration(), Sentry.replayIntegration()],
  tracesSampleRate: 1,
  replaysSessionSampleRate: 1,
  enableLogs: true,
  // Every local origin, Lore's included: Sentry's fetch then adds
  // sentry-trace and baggage to the other SDKs' requests to Lore.
  tracePropagationTargets: [/^http:\/\/127\.0\.0\.1/],
});
Sentry.setTag("flow", "checkout");
posthog.init(cfg.key, { api_host: cfg.lore, person_profiles: "always" });
const analytics = AnalyticsBrowser.load({ writeKey: cfg.key, cdnURL: cfg.lore });
const lore = {
  track: (...a) => window.lore.track(...a),
  identify: (...a) => window.lore.identify(...a),
};

window.shop = {
  replayId: () => Sentry.getReplay()?.getReplayId(),
  async pay() {
    analytics.track("Checkout Started", { amount: 3 });
    await new Promise((r) => setTimeout(r, 50));
    lore.track("Pay Clicked", { amount: 3 });
    const res = await fetch("/api/pay", { method: "POST" });
    const answer = await res.json();
    try {
      computeTotal([{ price: { amount: 3 } }, { price: null }]);
    } catch (e) {
      Sentry.captureException(e);
      posthog.captureException(e);
    }
    Sentry.logger.info("payment attempted", { amount: 3 });
    return answer;
  },
  login() {
    Sentry.setUser({ id: cfg.user });
    posthog.identify(cfg.user, { plan: "pro" });
    analytics.identify(cfg.user, { plan: "pro" });
    lore.identify(cfg.user, { plan: "pro" });
  },
  order() {
    lore.track("Order Completed", { amount: 3 });
    history.pushState({}, "", "/thanks");
  },
  boom() {
    setTimeout(() => {
      null.explode();
    });
  },
};

document.addEventListener("DOMContentLoaded", () => {
  document.getElementById("pay").addEventListener("click", () => {
    window.shop.pay().then((a) => (document.getElementById("out").textContent = a.status));
  });
});
