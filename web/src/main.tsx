import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App, takeKey } from './App';
import { applyTheme, savedTheme } from './components/Theme';
import './styles.css';

applyTheme(savedTheme());

takeKey();
// A "#key=…" link opened on a running page: store the key before the
// router (listening after this) reads the new hash.
window.addEventListener('hashchange', takeKey);
if (!location.hash || location.hash === '#' || location.hash === '#/') location.hash = '#/overview';
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
