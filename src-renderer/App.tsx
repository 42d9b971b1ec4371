import { Router, Route, Switch, Redirect } from 'wouter';
import { useHashLocation } from 'wouter/use-hash-location';
import { hasAccess } from './api/client';
import { Sidebar } from './components/Sidebar';
import { WarehousePage } from './pages/WarehousePage';
import { SettingsPage } from './pages/SettingsPage';
import { SourcesPage } from './pages/sources/SourcesPage';
import { CatalogPage } from './pages/sources/CatalogPage';
import { ConnectionPage } from './pages/sources/ConnectionPage';
import { NoAccess } from './pages/NoAccess';
import { UsersPage } from './pages/users/UsersPage';
import { ModelPage } from './pages/model/ModelPage';

export function App() {
  if (!hasAccess) return <NoAccess />;
  return (
    <Router hook={useHashLocation}>
      <div className="app">
        <Sidebar />
        <main className="content">
          <Switch>
            <Route path="/sources" component={SourcesPage} />
            <Route path="/sources/new" component={CatalogPage} />
            <Route path="/sources/:id/:tab?" component={ConnectionPage} />
            <Route path="/users/:id?" component={UsersPage} />
            <Route path="/model" component={ModelPage} />
            <Route path="/warehouse" component={WarehousePage} />
            <Route path="/settings" component={SettingsPage} />
            <Route>
              <Redirect to="/sources" />
            </Route>
          </Switch>
        </main>
      </div>
    </Router>
  );
}
