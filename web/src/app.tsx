import { useState } from 'preact/hooks';
import { ApiError, ViewerDocument, session } from './api.ts';
import { ErrorBox } from './components.tsx';
import { useQuery } from './hooks.ts';
import { BAD_LINK, href, useRoute, type Route } from './router.ts';
import { ApprovalsPage } from './pages/approvals.tsx';
import { AuditPage } from './pages/audit.tsx';
import { ComparePage } from './pages/compare.tsx';
import { ModelPage } from './pages/model.tsx';
import { ModelsPage } from './pages/models.tsx';
import { PromotePage } from './pages/promote.tsx';
import { RegistriesPage } from './pages/registries.tsx';
import { RollbackPage } from './pages/rollback.tsx';

const NAV = [
  ['registries', 'Registries'],
  ['models', 'Models'],
  ['approvals', 'Approvals'],
  ['audit', 'Audit'],
] as const;

export function App() {
  const route = useRoute();
  // Signing in or out remounts every page, so nothing read with the old credential stays on screen.
  const [generation, setGeneration] = useState(0);
  return (
    <>
      <header>
        <h1><a href="#/">modelgate</a></h1>
        <nav>
          {NAV.map(([page, label]) => (
            <a key={page} href={href(page)} class={route.page === page ? 'current' : ''}>{label}</a>
          ))}
          {/* Same tab: GraphiQL reads the sign-in from this tab's sessionStorage. */}
          <a href="/graphiql">GraphiQL</a>
        </nav>
        <SignIn key={generation} changed={() => setGeneration((g) => g + 1)} />
      </header>
      <main key={generation}>{page(route)}</main>
    </>
  );
}

function page(route: Route) {
  const [registry = '', name = ''] = route.params;
  switch (route.page) {
    case 'models': return <ModelsPage route={route} />;
    case 'model': return <ModelPage registry={registry} name={name} />;
    case 'compare': return <ComparePage registry={registry} name={name} />;
    case 'promote': return <PromotePage registry={registry} name={name} initialVersion={route.query.get('version')} />;
    case 'rollback': return <RollbackPage registry={registry} name={name} />;
    case 'approvals': return <ApprovalsPage route={route} />;
    case 'audit': return <AuditPage route={route} />;
    case BAD_LINK: return <ErrorBox error={new ApiError(`This link is malformed: '${route.params[0]}' has a % that is not a valid escape. Open the model from the Models page.`, 'BAD_LINK', null, null, null)} />;
    default: return <RegistriesPage />;
  }
}

/** An API key or bearer token typed in, kept in sessionStorage (this tab only); without auth on loopback, not needed. */
function SignIn({ changed }: { changed: () => void }) {
  const viewer = useQuery(ViewerDocument, { registry: null, name: null });
  const [token, setToken] = useState('');
  const signedIn = session.token() !== null;
  const who = viewer.data?.viewer;
  return (
    <div class="sign-in">
      {who && (
        <span class="viewer" data-principal={who.principal}>
          {who.principal} <span class="muted">({[...new Set(who.grants.map((g) => g.role))].join(', ') || 'no grants'})</span>
        </span>
      )}
      {signedIn ? (
        <button type="button" name="sign-out" onClick={() => { session.signOut(); changed(); }}>Sign out</button>
      ) : (
        <form onSubmit={(e) => { e.preventDefault(); if (token.trim()) { session.signIn(token); changed(); } }}>
          <input type="password" name="token" autoComplete="off" placeholder="API key or bearer token" value={token} onInput={(e) => setToken(e.currentTarget.value)} />
          <button type="submit" name="sign-in">Sign in</button>
        </form>
      )}
      {viewer.error && <ErrorBox error={viewer.error} />}
    </div>
  );
}
