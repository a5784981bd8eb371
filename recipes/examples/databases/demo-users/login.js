// Custom database login script of the demo: accepts one fixed demo user.
function login(email, password, callback) {
  if (email === 'demo@example.com' && password === 'demo-password') {
    return callback(null, { user_id: 'demo-1', email: email, name: 'Demo User' });
  }
  return callback(new WrongUsernameOrPasswordError(email));
}
