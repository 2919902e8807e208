import { useEffect } from 'react';
import type { Settings } from '../../../shared/settings';

const DARK_QUERY = '(prefers-color-scheme: dark)';

/** The CSS only knows light and dark; "system" follows the OS, live. */
export function useTheme(theme: Settings['appearance']['theme']): void {
  useEffect(() => {
    const media = window.matchMedia(DARK_QUERY);
    const apply = () => {
      document.documentElement.dataset['theme'] =
        theme === 'system' ? (media.matches ? 'dark' : 'light') : theme;
    };
    apply();
    if (theme !== 'system') return;
    media.addEventListener('change', apply);
    return () => media.removeEventListener('change', apply);
  }, [theme]);
}
