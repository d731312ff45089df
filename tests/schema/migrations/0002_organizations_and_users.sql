-- Organizations, their users (seed 004) and credit purchases.
-- migrate:up
CREATE TABLE organizations (
    id TEXT COLLATE "C" PRIMARY KEY DEFAULT generate_id('org') CHECK (id LIKE 'org\_%'),
    name TEXT NOT NULL,
    storytime JSONB,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TRIGGER updated_at BEFORE UPDATE ON organizations FOR EACH ROW EXECUTE PROCEDURE updated_at();

-- Seed 004's user, scoped to an organization.
CREATE TABLE users (
    user_id TEXT COLLATE "C" PRIMARY KEY DEFAULT generate_id('usr') CHECK (user_id LIKE 'usr\_%'),
    organization_id TEXT COLLATE "C" NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL DEFAULT 'managed_externally',
    first_name TEXT,
    last_name TEXT,
    profile_image_url TEXT,
    phone TEXT,
    stripe_customer_extid TEXT UNIQUE,
    credits_balance BIGINT NOT NULL DEFAULT 0,
    preferences JSONB,
    timezone TEXT,
    language_preference TEXT,
    user_type TEXT COLLATE "C" NOT NULL DEFAULT 'individual' REFERENCES user_type_enum(value),
    is_active BOOLEAN NOT NULL DEFAULT true,
    last_login_at TIMESTAMPTZ,
    storytime JSONB,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TRIGGER updated_at BEFORE UPDATE ON users FOR EACH ROW EXECUTE PROCEDURE updated_at();
CREATE INDEX users_organization_id_idx ON users(organization_id);
CREATE INDEX users_user_type_idx ON users(user_type);
CREATE INDEX users_preferences_company_idx ON users ((preferences ->> 'company'));

-- Seed 004's credit purchase; stripe_session_extid is the idempotency key.
CREATE TABLE transactions (
    transaction_id TEXT COLLATE "C" PRIMARY KEY DEFAULT generate_id('txn') CHECK (transaction_id LIKE 'txn\_%'),
    organization_id TEXT COLLATE "C" NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    user_id TEXT COLLATE "C" NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
    stripe_session_extid TEXT NOT NULL UNIQUE,
    amount_paid_cents BIGINT NOT NULL CHECK (amount_paid_cents >= 0),
    credits_added BIGINT NOT NULL,
    storytime JSONB,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TRIGGER updated_at BEFORE UPDATE ON transactions FOR EACH ROW EXECUTE PROCEDURE updated_at();
CREATE INDEX transactions_organization_id_idx ON transactions(organization_id);
CREATE INDEX transactions_user_id_idx ON transactions(user_id);

-- migrate:down
DROP TABLE transactions, users, organizations;
