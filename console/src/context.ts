import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { AdminApi } from './api';
import type { Operator } from './auth';

export interface ConsoleContext {
  api: AdminApi;
  operator: Operator;
  /** Admins may change things; viewers only read (the API refuses them anyway). */
  canChange: boolean;
  /** Asks the navigation to count the work waiting again, after a change that alters it. */
  refreshCounts: () => void;
}

export const Console = createContext<ConsoleContext | undefined>(undefined);

export function useConsole(): ConsoleContext {
  const context = useContext(Console);
  if (!context) throw new Error('useConsole outside the signed-in console');
  return context;
}
