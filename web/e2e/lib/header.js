// The header's user menu (ui/usermenu.js), driven as a person does: the
// tests that sign out or switch the language go through it.

/**
 * fromUserMenu opens the user menu if it is closed and chooses the item
 * that item selects inside it ('#user-signout', '#user-password',
 * '[lang=en]').
 * @param {import('playwright-core').Page} page
 * @param {string} item
 */
export async function fromUserMenu(page, item) {
	if (await page.getAttribute('#user-menu-button', 'aria-expanded') !== 'true') await page.click('#user-menu-button');
	await page.click(`#user-menu ${item}`);
}
