import { showBanner } from "./banner.js";
import "./app.js";

window.showBanner = showBanner;
