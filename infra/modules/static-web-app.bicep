// The board: static files on Static Web Apps (Free), signing people in with MSAL against Entra ID.
param location string
param tags object
param name string

resource site 'Microsoft.Web/staticSites@2023-12-01' = {
  name: name
  location: location
  tags: tags
  sku: { name: 'Free', tier: 'Free' }
  properties: {}
}

output url string = 'https://${site.properties.defaultHostname}'
