import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { applyTheme, savedTheme } from './components/Theme';
import './styles.css';

applyTheme(savedTheme());

if (!location.hash || location.hash === '#' || location.hash === '#/') location.hash = '#/overview';
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
